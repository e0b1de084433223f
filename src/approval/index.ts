/**
 * One way to ask a citizen to approve data, whatever the level and the channel (DESIGN.md). The TS 102 204
 * service (src/mss) and payments (src/mps) call `Approver.approve`; behind it sits the SIM-applet channel
 * (src/channel), the app, or, in tests and the sandbox, an in-process approver that signs in a SoftHSM token.
 */

/** Which of the citizen's keys: the authentication key or the non-repudiation signature key. */
export type ApprovalKey = 'authentication' | 'signature';

/** PKCS7: CMS SignedData with the certificate; PKCS1: the bare signature over DataToBeSigned. */
export type ApprovalFormat = 'PKCS7' | 'PKCS1';

export interface ApprovalRequest {
  /** E.164 with '+'. */
  readonly msisdn: string;
  /** What the phone shows (DataToBeDisplayed, with the verification code when the service adds one). */
  readonly display: string;
  /** What the citizen's key signs. */
  readonly dataToBeSigned: Uint8Array;
  readonly key: ApprovalKey;
  readonly format: ApprovalFormat;
  /** After this the citizen's answer no longer counts: the outcome is 'timeout'. */
  readonly timeoutMs: number;
  /** Our reference (MSSP_TransID), for the channel's logs and for matching a late answer. */
  readonly reference: string;
}

export type ApprovalOutcome =
  | {
      readonly kind: 'signed';
      /** PKCS7: DER ContentInfo; PKCS1: the signature bytes. */
      readonly signature: Uint8Array;
      /** The certificate of the key that signed, DER. */
      readonly certificate: Uint8Array;
    }
  | { readonly kind: 'user-cancelled' | 'pin-blocked' | 'card-blocked' | 'no-key' | 'timeout' | 'unreachable' | 'unknown-user' };

export type ApprovalOutcomeKind = ApprovalOutcome['kind'];

export interface Approver {
  /** Never rejects for a citizen's or channel's failure: those are outcomes. A rejection is a bug or an outage. */
  approve(request: ApprovalRequest): Promise<ApprovalOutcome>;
  /** Whether the MSISDN belongs to a citizen this approver can reach, and which keys its SIM holds. */
  lookup(msisdn: string): Promise<{ readonly keys: readonly ApprovalKey[] } | undefined>;
  /** Shows a message on the phone (MSS_Receipt); false when the citizen cannot be reached. */
  notify(msisdn: string, message: string): Promise<boolean>;
}
export { SimApprover, type SimApproverOptions, type AppletRequester, type CitizenCertificates } from './sim-approver';
export { cachedCertificates } from './cached-certificates';
