import type { Logger } from '../../log';
import { createSignedData, verifySignedData, type CmsSigner, type CmsVerifyResult, type TrustAnchor } from '../../pki';
import { isStoreError, type SettlementReportRecord, type SettlementWindowRecord, type Store } from '../../store';
import { MpsError } from '../errors';
import { reportCsv, reportJson } from './report';

export interface SettlementOptions {
  readonly store: Store;
  /** The platform's report signer: a key in the HSM with its certificate (pki's hsmSigner). */
  readonly signer: CmsSigner;
  readonly clock?: () => Date;
  readonly logger?: Logger;
}

export interface SignedReport {
  readonly format: 'csv' | 'json';
  readonly body: Buffer;
  /** CMS SignedData (DER), detached: the content is `body`. */
  readonly signature: Buffer;
}

/**
 * Settlement windows: open → closed → settled. Closing a window opens the next one in the same transaction, so
 * every committed transfer falls into exactly one window; transfers being booked while it closes wait for it
 * (they hold the window row shared, closing takes it exclusively). Reports are made once per window and format,
 * signed, stored and never rewritten; settling needs both reports.
 */
export class Settlement {
  private readonly store: Store;
  private readonly signer: CmsSigner;
  private readonly clock: () => Date;
  private readonly logger: Logger | undefined;

  constructor(options: SettlementOptions) {
    this.store = options.store;
    this.signer = options.signer;
    this.clock = options.clock ?? (() => new Date());
    this.logger = options.logger;
  }

  openWindowId(): Promise<bigint> {
    return this.store.ledger.openWindowId();
  }

  async closeWindow(): Promise<{ closed: bigint; opened: bigint }> {
    const at = this.clock();
    const result = await this.store.transaction((tx) => tx.ledger.closeOpenWindow(at));
    this.logger?.info({ component: 'mps.settlement', window: result.closed.toString() }, 'settlement window closed');
    return result;
  }

  async window(id: bigint): Promise<SettlementWindowRecord> {
    const w = await this.store.ledger.window(id);
    if (w === undefined) throw new MpsError('UNKNOWN_WINDOW', `settlement window ${id} is unknown`);
    return w;
  }

  /** Net positions of every bank in a window, by bank and currency; per currency they sum to zero. */
  async positions(windowId: bigint): Promise<{ bankId: string; currency: string; net: bigint }[]> {
    await this.window(windowId);
    return this.store.ledger.windowPositions(windowId);
  }

  /** The signed report of a closed (or settled) window, made on first request and stored. */
  async report(windowId: bigint, format: 'csv' | 'json'): Promise<SignedReport> {
    const stored = await this.store.ledger.report(windowId, format);
    if (stored !== undefined) return toSigned(stored);
    const window = await this.window(windowId);
    if (window.state === 'open') throw new MpsError('WINDOW_STATE', `settlement window ${windowId} is still open`);
    const positions = await this.store.ledger.windowPositions(windowId);
    const body = format === 'json' ? reportJson({ window, positions }) : reportCsv({ window, positions });
    const signature = Buffer.from(await createSignedData({ content: body, signer: this.signer, detached: true, signingTime: this.clock() }));
    const record: SettlementReportRecord = { windowId, format, body, signature, createdAt: this.clock() };
    try {
      await this.store.ledger.insertReport(record);
    } catch (err) {
      // Another node made it first: theirs is the report.
      if (!isStoreError(err, 'UNIQUE_VIOLATION')) throw err;
      const theirs = await this.store.ledger.report(windowId, format);
      if (theirs === undefined) throw err;
      return toSigned(theirs);
    }
    return { format, body, signature };
  }

  /** Marks a closed window settled once both of its reports exist. */
  async settle(windowId: bigint): Promise<SettlementWindowRecord> {
    const window = await this.window(windowId);
    if (window.state !== 'closed') throw new MpsError('WINDOW_STATE', `settlement window ${windowId} is ${window.state}, not closed`);
    await this.report(windowId, 'json');
    await this.report(windowId, 'csv');
    try {
      await this.store.ledger.insertWindowState(windowId, 'settled', this.clock());
    } catch (err) {
      if (!isStoreError(err, 'UNIQUE_VIOLATION')) throw err;
    }
    return this.window(windowId);
  }
}

function toSigned(r: SettlementReportRecord): SignedReport {
  return { format: r.format, body: r.body, signature: r.signature };
}

/** What a bank runs on a report it downloaded: the platform's signature over exactly these bytes, to its CA. */
export function verifyReport(report: SignedReport, trustAnchors: readonly TrustAnchor[], time?: Date): Promise<CmsVerifyResult> {
  return verifySignedData(report.signature, { detachedContent: report.body, trustAnchors, revocation: { mode: 'off' }, ...(time !== undefined ? { time } : {}) });
}
