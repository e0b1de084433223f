import { MPS_ERRORS, MpsError, type MpsErrorCode } from '../../mps';

/**
 * The one place an error becomes RFC 9457 problem+json for the MPS API, from the MPS_ERRORS table: `code` is the
 * table's key (what a client switches on), status and title come from the table. Anything that is not an
 * MpsError is a bug or an outage: a generic 500, its details only in the log.
 */
export interface MpsProblem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: MpsErrorCode;
  readonly detail?: string;
}

export const MPS_PROBLEM_TYPE_BASE = 'urn:mssp:mps:problem:';

export function mpsProblem(err: unknown): { status: number; body: MpsProblem; unexpected: boolean } {
  const code: MpsErrorCode = err instanceof MpsError ? err.code : 'INTERNAL_ERROR';
  const entry = MPS_ERRORS[code];
  const detail = err instanceof MpsError && err.message !== entry.text ? err.message : undefined;
  return {
    status: entry.http,
    body: { type: `${MPS_PROBLEM_TYPE_BASE}${code.toLowerCase().replace(/_/g, '-')}`, title: entry.text, status: entry.http, code, ...(detail !== undefined ? { detail } : {}) },
    unexpected: !(err instanceof MpsError),
  };
}
