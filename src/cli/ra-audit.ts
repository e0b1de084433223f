import type { RaAuditEvent } from '../pki';
import type { Repositories } from '../store';

/**
 * The RA's audit hook (RegistrationAuthorityOptions.record): each registration, issuance and status change becomes
 * an entry in the same transaction, actor `operator:<officer>`, the issued certificate's SHA-256 as evidence. A
 * relying party registering over MSS_Registration is the officer `ap:<AP_ID>`: its entries have actor `ap:<AP_ID>`.
 */
const AP_OFFICER = 'ap:';

export async function raAuditRecorder(): Promise<(tx: Repositories, event: RaAuditEvent) => Promise<void>> {
  const { AuditLog, hashEvidence } = await import('../audit');
  return async (tx, event) => {
    await AuditLog.appendWithin(tx, {
      actor: event.officer.startsWith(AP_OFFICER) ? { type: 'ap', id: event.officer.slice(AP_OFFICER.length) } : { type: 'operator', id: event.officer },
      action: event.action,
      subject: event.subject,
      outcome: event.outcome,
      details: { ...event.details },
      ...(event.evidence !== undefined ? { evidenceHash: hashEvidence(event.evidence) } : {}),
    });
  };
}
