/**
 * Failures of the signature applet's message format (FORMAT.md, "Errors"): a closed set of codes so that
 * `switch (err.code)` narrows; fixed messages, specifics in `detail`.
 */
export const APPLET_ERRORS = {
  /** Fewer octets than a field or header needs. */
  TRUNCATED: 'a field runs past the end of the message',
  /** Version octet other than 1. */
  BAD_VERSION: 'unsupported format version',
  /** Message type octet is not the one expected (request vs response). */
  BAD_TYPE: 'unexpected message type',
  /** A length in a non-minimal or reserved form. */
  BAD_LENGTH: 'length is not in its minimal form',
  /** A tag this version does not define, or not allowed in this message type. */
  UNKNOWN_TAG: 'unknown tag',
  /** Tags out of ascending order or repeated. */
  TAG_ORDER: 'tags out of order or repeated',
  MISSING_FIELD: 'a required field is missing',
  /** A field present that this operation or outcome forbids. */
  FORBIDDEN_FIELD: 'a field is not allowed here',
  /** A value outside its range or coding. */
  BAD_VALUE: 'a field has an invalid value',
  /** Display text longer than the SIM's limit. */
  TEXT_TOO_LONG: 'display text exceeds the limit',
  /** Text with a character the chosen alphabet lacks, or a control character. */
  UNENCODABLE_TEXT: 'text cannot be encoded',
  /** The whole message is larger than the format allows. */
  TOO_LARGE: 'message too large',
  /** A response that does not answer the request (reference, outcome or signature format). */
  MISMATCH: 'response does not match the request',
} as const;

export type AppletErrorCode = keyof typeof APPLET_ERRORS;

export class AppletError extends Error {
  override readonly name = 'AppletError';

  constructor(
    readonly code: AppletErrorCode,
    readonly detail?: Readonly<Record<string, string | number | boolean>>,
  ) {
    super(APPLET_ERRORS[code]);
  }
}

export function isAppletError(err: unknown, code?: AppletErrorCode): err is AppletError {
  return err instanceof AppletError && (code === undefined || err.code === code);
}
