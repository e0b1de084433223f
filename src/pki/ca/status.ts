import type { Repositories, StatusRecord } from '../../store';
import { CaError } from './errors';
import { CERTIFICATE_HOLD, revocationReasonCode, type RevocationReason } from './reasons';
import { wholeSeconds } from './issue';

/**
 * Certificate status changes. Each is a new row in the status history, never an update:
 *   good → hold (certificateHold) → good (reinstated) or → revoked; good → revoked; revoked is final.
 * A change is checked against the newest row and written in the caller's transaction with the certificate
 * locked, so two operators cannot both move a certificate from the same state.
 */
export type StatusChange =
  | { readonly action: 'hold' }
  | { readonly action: 'reinstate' }
  | { readonly action: 'revoke'; readonly reason: RevocationReason; readonly invalidityDate?: Date };

export interface StatusChangeInput {
  readonly issuerCa: string;
  readonly serial: string;
  readonly change: StatusChange;
  readonly actor: string;
  readonly note?: string;
  readonly at?: Date;
}

/** The first status of a certificate just issued. */
export function goodStatus(issuerCa: string, serial: string, actor: string, note: string | null = 'issued'): Omit<StatusRecord, 'id' | 'createdAt'> {
  return { issuerCa, serial, status: 'good', reason: null, revokedAt: null, invalidityDate: null, actor, note };
}

function allowed(current: StatusRecord | undefined, change: StatusChange, where: string): void {
  const state = current?.status ?? 'good';
  const refuse = (why: string): never => {
    throw new CaError('INVALID_TRANSITION', `${where}: ${why}`);
  };
  if (state === 'revoked') refuse('the certificate is revoked, and revocation is final');
  if (change.action === 'hold' && state === 'hold') refuse('the certificate is already on hold');
  if (change.action === 'reinstate' && state !== 'hold') refuse('only a certificate on hold can be reinstated');
}

/** Applies one change inside `tx` (the repositories of an open store transaction). Returns the row written. */
export async function changeStatus(tx: Pick<Repositories, 'certificates'>, input: StatusChangeInput): Promise<StatusRecord> {
  const { issuerCa, serial, change } = input;
  const where = `certificate ${serial} of CA "${issuerCa}"`;
  const at = wholeSeconds((input.at ?? new Date()).getTime());
  await tx.certificates.lockCertificate(issuerCa, serial);
  const cert = await tx.certificates.findCertificate(issuerCa, serial);
  if (cert === undefined) throw new CaError('CERTIFICATE_NOT_FOUND', `CA "${issuerCa}" issued no certificate with serial ${serial}`);
  const before = await tx.certificates.currentStatus(issuerCa, serial);
  allowed(before, change, where);
  let row: Omit<StatusRecord, 'id' | 'createdAt'>;
  if (change.action === 'reinstate') {
    row = { ...goodStatus(issuerCa, serial, input.actor, input.note ?? 'reinstated') };
  } else if (change.action === 'hold') {
    row = { issuerCa, serial, status: 'hold', reason: CERTIFICATE_HOLD, revokedAt: at, invalidityDate: null, actor: input.actor, note: input.note ?? null };
  } else {
    if (change.invalidityDate !== undefined && change.invalidityDate.getTime() > at.getTime() + 1000) {
      throw new CaError('BAD_INPUT', 'the invalidity date (when the key is known or suspected to have been compromised) cannot be in the future');
    }
    row = {
      issuerCa,
      serial,
      status: 'revoked',
      reason: revocationReasonCode(change.reason),
      revokedAt: at,
      invalidityDate: change.invalidityDate === undefined ? null : wholeSeconds(change.invalidityDate.getTime()),
      actor: input.actor,
      note: input.note ?? null,
    };
  }
  const written = await tx.certificates.insertStatus(row);
  // SQLite has no row lock: a change committed by another process between our read and our write shows up here.
  const history = await tx.certificates.statusHistory(issuerCa, serial);
  const previous = history[history.length - 2];
  if (history[history.length - 1]?.id !== written.id || previous?.id !== before?.id) {
    throw new CaError('INVALID_TRANSITION', `${where} changed while this change was being made; try again`);
  }
  return written;
}
