/**
 * RFC 3161 §2.4.2 PKIFailureInfo: the failures a TSA answers with, each with its bit in the BIT STRING and
 * the text RFC 3161 gives it. One table, so the wire bit, the statusString and the log line cannot disagree.
 */
export const TSA_FAILURES = {
  badAlg: { bit: 0, text: 'unrecognized or unsupported algorithm identifier' },
  badRequest: { bit: 2, text: 'transaction not permitted or supported' },
  badDataFormat: { bit: 5, text: 'the data submitted has the wrong format' },
  timeNotAvailable: { bit: 14, text: "the TSA's time source is not available" },
  unacceptedPolicy: { bit: 15, text: 'the requested TSA policy is not supported by the TSA' },
  unacceptedExtension: { bit: 16, text: 'the requested extension is not supported by the TSA' },
  addInfoNotAvailable: { bit: 17, text: 'the additional information requested could not be understood or is not available' },
  systemFailure: { bit: 25, text: 'the request cannot be handled due to system failure' },
} as const;

export type TsaFailure = keyof typeof TSA_FAILURES;

export const TSA_FAILURE_NAMES = Object.keys(TSA_FAILURES) as TsaFailure[];

/** A request the TSA refuses (or cannot serve): becomes a TimeStampResp with status rejection and this failInfo. */
export class TsaError extends Error {
  override readonly name = 'TsaError';
  constructor(
    readonly failure: TsaFailure,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isTsaError(err: unknown): err is TsaError {
  return err instanceof TsaError;
}

/** Wrong TSA configuration, found at start-up (a certificate without the timeStamping EKU, a key that does not match). */
export class TsaConfigError extends Error {
  override readonly name = 'TsaConfigError';
}
