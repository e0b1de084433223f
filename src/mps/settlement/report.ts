import type { SettlementWindowRecord } from '../../store';

/**
 * The settlement report of one window: each bank's net position per currency (what it owes when negative, what it
 * is owed when positive), as JSON and as CSV. Both are built from the same rows in a fixed order, so the same
 * window always gives the same bytes, and what the platform signs is exactly what the banks download.
 */

export interface ReportPosition {
  readonly bankId: string;
  readonly currency: string;
  readonly net: bigint;
}

export interface ReportInput {
  readonly window: SettlementWindowRecord;
  readonly positions: readonly ReportPosition[];
}

const direction = (net: bigint): string => (net < 0n ? 'pays' : net > 0n ? 'receives' : 'flat');

function sorted(positions: readonly ReportPosition[]): ReportPosition[] {
  return [...positions].sort((a, b) => (a.bankId === b.bankId ? (a.currency < b.currency ? -1 : 1) : a.bankId < b.bankId ? -1 : 1));
}

export function reportJson(input: ReportInput): Buffer {
  const closed = input.window.states.find((s) => s.state === 'closed');
  const totals = new Map<string, bigint>();
  for (const p of input.positions) totals.set(p.currency, (totals.get(p.currency) ?? 0n) + p.net);
  const body = {
    report: 'settlement',
    windowId: input.window.id.toString(),
    openedAt: input.window.openedAt.toISOString(),
    closedAt: closed?.at.toISOString() ?? null,
    // Amounts are decimal strings of integers in minor units: JSON numbers would lose digits beyond 2^53.
    positions: sorted(input.positions).map((p) => ({ bankId: p.bankId, currency: p.currency, net: p.net.toString(), direction: direction(p.net) })),
    totals: [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, total]) => ({ currency, total: total.toString() })),
  };
  return Buffer.from(`${JSON.stringify(body, null, 2)}\n`, 'utf8');
}

/** RFC 4180 CSV with CRLF line ends; bank ids are restricted to [A-Za-z0-9._:-], so no field needs quoting. */
export function reportCsv(input: ReportInput): Buffer {
  const lines = ['window_id,bank_id,currency,net_minor_units,direction'];
  for (const p of sorted(input.positions)) lines.push([input.window.id.toString(), p.bankId, p.currency, p.net.toString(), direction(p.net)].join(','));
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}
