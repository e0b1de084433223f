/**
 * The one error type the PKI parsers throw.
 *
 * Parsing untrusted bytes (certificates, CRLs, signature values) either returns a value or throws a
 * PkiParseError; anything else escaping a parser is a bug (the property test in spec/pki holds us to that).
 * Path validation itself never throws for bad input: it returns a result naming the rule that failed.
 */
export class PkiParseError extends Error {
  /** Always 'malformed': callers switch on it the same way they switch on path-validation rules. */
  readonly code = 'malformed' as const;

  constructor(
    message: string,
    /** Byte offset in the outermost input where the problem was seen, when known. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'PkiParseError';
  }
}

export function isPkiParseError(err: unknown): err is PkiParseError {
  return err instanceof PkiParseError;
}
