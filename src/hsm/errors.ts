import * as pkcs11 from 'pkcs11js';

/**
 * Every failure src/hsm reports, as one closed union of codes (like jose's errors):
 * `switch (err.code)` narrows to the class, and each class carries the fields its callers need.
 * Messages are fixed sentences plus names (paths, labels, CKR names); a PIN or key material never
 * appears in them.
 */
export type HsmErrorCode =
  | 'ERR_HSM_MODULE_LOAD'
  | 'ERR_HSM_TOKEN_NOT_FOUND'
  | 'ERR_HSM_TOKEN_AMBIGUOUS'
  | 'ERR_HSM_TOKEN_IN_USE'
  | 'ERR_HSM_KEY_NOT_FOUND'
  | 'ERR_HSM_KEY_AMBIGUOUS'
  | 'ERR_HSM_KEY_UNSUITABLE'
  | 'ERR_HSM_UNSUPPORTED'
  | 'ERR_HSM_SIGNATURE_ENCODING'
  | 'ERR_HSM_CLOSED'
  | 'ERR_HSM_PKCS11'
  | 'ERR_HSM_PIN_INCORRECT'
  | 'ERR_HSM_PIN_LOCKED'
  | 'ERR_HSM_NOT_LOGGED_IN'
  | 'ERR_HSM_MECHANISM_INVALID'
  | 'ERR_HSM_DECRYPTION_FAILED';

/** A PKCS#11 return value by name, e.g. 'CKR_PIN_INCORRECT'. */
export type CkrName = `CKR_${string}`;

export abstract class HsmError extends Error {
  abstract readonly code: HsmErrorCode;
}

/** The PKCS#11 module could not be found, loaded or initialised. */
export class ModuleLoadError extends HsmError {
  override readonly name = 'ModuleLoadError';
  readonly code = 'ERR_HSM_MODULE_LOAD' as const;
  constructor(
    readonly modulePath: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`cannot load the PKCS#11 module ${modulePath}: ${reason}`, options);
  }
}

export class TokenNotFoundError extends HsmError {
  override readonly name = 'TokenNotFoundError';
  readonly code = 'ERR_HSM_TOKEN_NOT_FOUND' as const;
  constructor(
    readonly tokenLabel: string,
    readonly availableLabels: readonly string[],
    readonly modulePath: string,
  ) {
    const available = availableLabels.length > 0 ? availableLabels.map((l) => `"${l}"`).join(', ') : 'none';
    super(`no PKCS#11 token labelled "${tokenLabel}" in ${modulePath}; initialised tokens: ${available}`);
  }
}

export class TokenAmbiguousError extends HsmError {
  override readonly name = 'TokenAmbiguousError';
  readonly code = 'ERR_HSM_TOKEN_AMBIGUOUS' as const;
  constructor(
    readonly tokenLabel: string,
    readonly count: number,
  ) {
    super(`${count} PKCS#11 tokens are labelled "${tokenLabel}"; give each token its own label`);
  }
}

/**
 * PKCS#11 login state belongs to the whole process, so a second opening of the same token would share
 * (and could end) the first one's login: one Hsm per token per process, passed to whoever needs it.
 */
export class TokenInUseError extends HsmError {
  override readonly name = 'TokenInUseError';
  readonly code = 'ERR_HSM_TOKEN_IN_USE' as const;
  constructor(readonly tokenLabel: string) {
    super(`the PKCS#11 token "${tokenLabel}" is already open in this process; share that Hsm instead of opening it again`);
  }
}

export interface KeyQueryDescription {
  readonly label?: string;
  readonly id?: string;
  readonly class?: string;
}

function describeQuery(query: KeyQueryDescription): string {
  const parts: string[] = [];
  if (query.class !== undefined) parts.push(`class ${query.class}`);
  if (query.label !== undefined) parts.push(`label "${query.label}"`);
  if (query.id !== undefined) parts.push(`id ${query.id}`);
  return parts.join(', ') || 'any';
}

export class KeyNotFoundError extends HsmError {
  override readonly name = 'KeyNotFoundError';
  readonly code = 'ERR_HSM_KEY_NOT_FOUND' as const;
  constructor(readonly query: KeyQueryDescription) {
    super(`no key in the token matches ${describeQuery(query)}`);
  }
}

export class KeyAmbiguousError extends HsmError {
  override readonly name = 'KeyAmbiguousError';
  readonly code = 'ERR_HSM_KEY_AMBIGUOUS' as const;
  constructor(
    readonly query: KeyQueryDescription,
    readonly count: number,
  ) {
    super(`${count} keys in the token match ${describeQuery(query)}; give an id as well`);
  }
}

/** The key exists but cannot do what was asked: wrong type or class, too small, unknown curve, wrong length. */
export class KeyUnsuitableError extends HsmError {
  override readonly name = 'KeyUnsuitableError';
  readonly code = 'ERR_HSM_KEY_UNSUITABLE' as const;
}

/** An algorithm, parameter or operation this module (or this token) does not offer. */
export class UnsupportedError extends HsmError {
  override readonly name = 'UnsupportedError';
  readonly code = 'ERR_HSM_UNSUPPORTED' as const;
}

/** A signature whose encoding is not strict DER (or not the size the key implies). */
export class SignatureEncodingError extends HsmError {
  override readonly name = 'SignatureEncodingError';
  readonly code = 'ERR_HSM_SIGNATURE_ENCODING' as const;
}

export class HsmClosedError extends HsmError {
  override readonly name = 'HsmClosedError';
  readonly code = 'ERR_HSM_CLOSED' as const;
  constructor() {
    super('the HSM connection is closed');
  }
}

/** A PKCS#11 function returned something other than CKR_OK. */
export abstract class Pkcs11Error extends HsmError {
  constructor(
    /** The return value by name, e.g. 'CKR_PIN_INCORRECT'. */
    readonly ckr: CkrName,
    /** The numeric return value (CK_RV). */
    readonly rv: number,
    /** The PKCS#11 function that returned it, e.g. 'C_Login'. */
    readonly operation: string,
    explanation: string,
    options?: ErrorOptions,
  ) {
    super(`${ckr}: ${explanation} (${operation})`, options);
  }
}

export class Pkcs11CallError extends Pkcs11Error {
  override readonly name = 'Pkcs11CallError';
  readonly code = 'ERR_HSM_PKCS11' as const;
}

export class PinIncorrectError extends Pkcs11Error {
  override readonly name = 'PinIncorrectError';
  readonly code = 'ERR_HSM_PIN_INCORRECT' as const;
}

export class PinLockedError extends Pkcs11Error {
  override readonly name = 'PinLockedError';
  readonly code = 'ERR_HSM_PIN_LOCKED' as const;
}

export class NotLoggedInError extends Pkcs11Error {
  override readonly name = 'NotLoggedInError';
  readonly code = 'ERR_HSM_NOT_LOGGED_IN' as const;
}

export class MechanismInvalidError extends Pkcs11Error {
  override readonly name = 'MechanismInvalidError';
  readonly code = 'ERR_HSM_MECHANISM_INVALID' as const;
}

/** AES-GCM authentication failed: the ciphertext, tag, IV or associated data was altered, or the key is wrong. */
export class DecryptionFailedError extends Pkcs11Error {
  override readonly name = 'DecryptionFailedError';
  readonly code = 'ERR_HSM_DECRYPTION_FAILED' as const;
}

/** The discriminated union callers switch on. */
export type HsmFailure =
  | ModuleLoadError
  | TokenNotFoundError
  | TokenAmbiguousError
  | TokenInUseError
  | KeyNotFoundError
  | KeyAmbiguousError
  | KeyUnsuitableError
  | UnsupportedError
  | SignatureEncodingError
  | HsmClosedError
  | Pkcs11CallError
  | PinIncorrectError
  | PinLockedError
  | NotLoggedInError
  | MechanismInvalidError
  | DecryptionFailedError;

export function isHsmFailure(err: unknown): err is HsmFailure {
  return err instanceof HsmError;
}

/** CK_RV → name, from the constants pkcs11js exports, so no table of ours can drift from the native one. */
const CKR_NAMES: ReadonlyMap<number, CkrName> = new Map(
  Object.entries(pkcs11)
    .filter((entry): entry is [CkrName, number] => entry[0].startsWith('CKR_') && typeof entry[1] === 'number')
    .map(([name, value]) => [value, name] as const),
);

export function ckrName(rv: number): CkrName {
  return CKR_NAMES.get(rv) ?? `CKR_VENDOR_DEFINED_0x${rv.toString(16)}`;
}

const EXPLANATIONS: Readonly<Record<string, string>> = {
  CKR_PIN_INCORRECT: 'the token rejected the user PIN',
  CKR_PIN_LOCKED: 'the user PIN is locked after too many wrong tries; the security officer must unlock it',
  CKR_PIN_LEN_RANGE: 'the PIN is shorter or longer than the token allows',
  CKR_USER_NOT_LOGGED_IN: 'the token session is not logged in',
  CKR_MECHANISM_INVALID: 'the token does not offer this mechanism for this key',
  CKR_MECHANISM_PARAM_INVALID: 'the token rejected the mechanism parameters',
  CKR_ARGUMENTS_BAD: 'the token rejected the arguments (for RSA-OAEP: an unsupported hash)',
  CKR_KEY_HANDLE_INVALID: 'the key handle is not valid in this session (was the key destroyed or the HSM reopened?)',
  CKR_OBJECT_HANDLE_INVALID: 'the object handle is not valid in this session (was the object destroyed or the HSM reopened?)',
  CKR_KEY_FUNCTION_NOT_PERMITTED: 'the key attributes do not allow this operation',
  CKR_KEY_TYPE_INCONSISTENT: 'the key type does not fit the mechanism',
  CKR_TEMPLATE_INCONSISTENT: 'the token rejected the attribute template',
  CKR_TOKEN_NOT_PRESENT: 'the token is not present',
  CKR_DEVICE_REMOVED: 'the token was removed',
  CKR_SESSION_HANDLE_INVALID: 'the session is no longer valid',
};

interface NativePkcs11Failure {
  readonly message: string;
  readonly code: number;
}

function asNativePkcs11Failure(err: unknown): NativePkcs11Failure | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && code > 0 && /^CKR_/.test(err.message)) return { message: err.message, code };
  // Errors from the async (callback) variants arrive as "CKR_NAME:123" before pkcs11js reshapes them.
  const match = /(CKR_[A-Z0-9_]+):(\d+)/.exec(err.message);
  if (match?.[2] !== undefined) return { message: match[1] ?? '', code: Number(match[2]) };
  return undefined;
}

/** The CK_RV of a pkcs11js error, or undefined for anything else. */
export function returnValueOf(err: unknown): number | undefined {
  return asNativePkcs11Failure(err)?.code;
}

/**
 * Turns what pkcs11js throws (a Pkcs11Error with `.code` = CK_RV, or a callback Error "CKR_X:n") into
 * our typed errors. Anything that is not a PKCS#11 return value (a TypeError from bad arguments, our
 * own errors) is returned unchanged.
 */
export function toHsmError(err: unknown, operation: string): Error {
  if (err instanceof HsmError) return err;
  const native = asNativePkcs11Failure(err);
  if (native === undefined) return err instanceof Error ? err : new Error(String(err));
  const ckr = ckrName(native.code);
  const explanation = EXPLANATIONS[ckr] ?? 'the PKCS#11 call failed';
  const options = { cause: err };
  switch (ckr) {
    case 'CKR_PIN_INCORRECT':
      return new PinIncorrectError(ckr, native.code, operation, explanation, options);
    case 'CKR_PIN_LOCKED':
      return new PinLockedError(ckr, native.code, operation, explanation, options);
    case 'CKR_USER_NOT_LOGGED_IN':
      return new NotLoggedInError(ckr, native.code, operation, explanation, options);
    case 'CKR_MECHANISM_INVALID':
    case 'CKR_MECHANISM_PARAM_INVALID':
      return new MechanismInvalidError(ckr, native.code, operation, explanation, options);
    default:
      return new Pkcs11CallError(ckr, native.code, operation, explanation, options);
  }
}
