import { MssFault, STATUS_CODES, type FaultCode } from '../../mss/status';

/**
 * What any error becomes on the wire. An MssFault keeps its code; anything else is a bug or an outage and
 * becomes 900 INTERNAL_ERROR with a generic text, its details kept for the log and the audit trail only.
 */
export interface WireError {
  readonly code: FaultCode;
  readonly side: 'Sender' | 'Receiver';
  /** Text the AP may see. */
  readonly reason: string;
  /** FiCom "specifier" (e.g. 1014), sent as a nested subcode when known. */
  readonly specifier?: number;
  /** Whether this was unexpected: the caller logs it at error level with the original error. */
  readonly unexpected: boolean;
}

export function toWireError(err: unknown, specifier?: number): WireError {
  if (err instanceof MssFault) {
    // instanceof on a generic class yields MssFault<any>; pin it to the fault-code union.
    const fault: MssFault = err;
    const definition = STATUS_CODES[fault.code];
    const reason = fault.expose && fault.detail ? `${definition.name}: ${fault.detail}` : definition.name;
    return {
      code: fault.code,
      side: definition.kind === 'sender-fault' ? 'Sender' : 'Receiver',
      reason,
      ...(specifier !== undefined ? { specifier } : {}),
      unexpected: false,
    };
  }
  return { code: 900, side: 'Receiver', reason: STATUS_CODES[900].name, unexpected: true };
}
