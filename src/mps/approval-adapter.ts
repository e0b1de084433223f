import type { Approver } from '../approval';
import type { ApprovalOutcome, ApprovalRequest, CitizenApprover } from './approval-port';

/**
 * Payments ask the citizen through the same Approver as signatures (DESIGN.md: a payment uses the same approval
 * path; only what is shown and what happens after differ): the offer's canonical bytes are signed with the SIM's
 * signature key as CMS, and the Approver's outcomes become the payment's.
 */
export function paymentApprover(approver: Approver, clock: () => Date = () => new Date()): CitizenApprover {
  return {
    async approve(request: ApprovalRequest): Promise<ApprovalOutcome> {
      const timeoutMs = request.deadline.getTime() - clock().getTime();
      if (timeoutMs <= 0) return { status: 'timeout', detail: 'the offer expired before the citizen was asked' };
      const outcome = await approver.approve({
        msisdn: request.msisdn,
        display: request.display,
        dataToBeSigned: request.dataToBeSigned,
        key: 'signature',
        format: 'PKCS7',
        timeoutMs,
        reference: request.reference,
      });
      switch (outcome.kind) {
        case 'signed':
          return { status: 'signed', signature: outcome.signature };
        case 'user-cancelled':
          return { status: 'cancelled' };
        case 'pin-blocked':
          return { status: 'wrong-pin', detail: 'the signature PIN is blocked' };
        case 'timeout':
          return { status: 'timeout' };
        default:
          return { status: 'failed', detail: outcome.kind };
      }
    },
  };
}
