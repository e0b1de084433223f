/**
 * What payments need from src/approval ("ask a citizen to approve these bytes"), and nothing more. mps depends on
 * this interface only; the approval module (SIM over SMS, app, OTP) implements it. Kept here, on the side that
 * uses it, so that the channel work can change without touching payments.
 */

export interface ApprovalRequest {
  /** The citizen, E.164 with the leading +. */
  readonly msisdn: string;
  /** Correlates the approval with the payment in logs and the audit trail (the offer id). */
  readonly reference: string;
  /** What the phone shows before the PIN is asked: merchant name, amount, reference, verification code. */
  readonly display: string;
  /** The exact bytes the SIM signs. */
  readonly dataToBeSigned: Uint8Array;
  /** Also shown to the merchant, so the citizen can check the request on the phone is the one at the till. */
  readonly verificationCode: string;
  /** After this the approval is useless: the channel may stop waiting. */
  readonly deadline: Date;
}

export type ApprovalOutcome =
  /** A CMS SignedData (DER) over dataToBeSigned, attached or detached, made with the citizen's key. */
  | { readonly status: 'signed'; readonly signature: Uint8Array }
  | { readonly status: 'cancelled' | 'wrong-pin' | 'timeout' | 'failed'; readonly detail?: string };

export interface CitizenApprover {
  approve(request: ApprovalRequest): Promise<ApprovalOutcome>;
}

/** Checks a citizen's signature over exactly `content`; never throws for a bad signature. */
export interface ApprovalSignatureVerifier {
  verify(signature: Uint8Array, content: Uint8Array, msisdn: string): Promise<{ readonly valid: true } | { readonly valid: false; readonly reason: string }>;
}

/** Finds the payment account a citizen pays from (the mobile-ID directory and enrolled instruments, item 1). */
export interface PayerDirectory {
  accountFor(msisdn: string, currency: string): Promise<string | undefined>;
}
