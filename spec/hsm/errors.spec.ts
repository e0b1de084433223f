import * as pkcs11 from 'pkcs11js';
import {
  DecryptionFailedError,
  HsmError,
  MechanismInvalidError,
  NotLoggedInError,
  Pkcs11CallError,
  Pkcs11Error,
  PinIncorrectError,
  PinLockedError,
  type HsmErrorCode,
  type HsmFailure,
} from '../../src/hsm';
import { ckrName, toHsmError } from '../../src/hsm/errors';

/** Compile-time check: a switch over the codes narrows to each class and must cover every code. */
function describeFailure(err: HsmFailure): string {
  switch (err.code) {
    case 'ERR_HSM_MODULE_LOAD':
      return err.modulePath;
    case 'ERR_HSM_TOKEN_NOT_FOUND':
      return err.availableLabels.join();
    case 'ERR_HSM_TOKEN_AMBIGUOUS':
      return String(err.count);
    case 'ERR_HSM_TOKEN_IN_USE':
      return err.tokenLabel;
    case 'ERR_HSM_KEY_NOT_FOUND':
    case 'ERR_HSM_KEY_AMBIGUOUS':
      return JSON.stringify(err.query);
    case 'ERR_HSM_PKCS11':
    case 'ERR_HSM_PIN_INCORRECT':
    case 'ERR_HSM_PIN_LOCKED':
    case 'ERR_HSM_NOT_LOGGED_IN':
    case 'ERR_HSM_MECHANISM_INVALID':
    case 'ERR_HSM_DECRYPTION_FAILED':
      return `${err.ckr} ${err.operation}`;
    case 'ERR_HSM_KEY_UNSUITABLE':
    case 'ERR_HSM_UNSUPPORTED':
    case 'ERR_HSM_SIGNATURE_ENCODING':
    case 'ERR_HSM_CLOSED':
      return err.message;
    default: {
      const unreachable: never = err;
      return unreachable;
    }
  }
}

describe('PKCS#11 return values become typed errors with the CKR name', () => {
  it('as pkcs11js throws them from synchronous calls (Pkcs11Error with .code)', () => {
    const thrown = new pkcs11.Pkcs11Error('CKR_PIN_INCORRECT:160', 0, 'C_Login');
    const err = toHsmError(thrown, 'C_Login');
    expect(err).toBeInstanceOf(PinIncorrectError);
    expect(err).toBeInstanceOf(Pkcs11Error);
    expect(err).toBeInstanceOf(HsmError);
    expect(err).toMatchObject({ code: 'ERR_HSM_PIN_INCORRECT', ckr: 'CKR_PIN_INCORRECT', rv: 160, operation: 'C_Login', cause: thrown });
    expect(describeFailure(err as PinIncorrectError)).toBe('CKR_PIN_INCORRECT C_Login');
  });

  it('as the callback forms pass them (a plain Error "CKR_NAME:rv")', () => {
    const err = toHsmError(new Error('CKR_MECHANISM_INVALID:112'), 'C_SignInit');
    expect(err).toBeInstanceOf(MechanismInvalidError);
    expect(err.message).toBe('CKR_MECHANISM_INVALID: the token does not offer this mechanism for this key (C_SignInit)');
  });

  it.each([
    [pkcs11.CKR_PIN_LOCKED, PinLockedError, 'ERR_HSM_PIN_LOCKED'],
    [pkcs11.CKR_USER_NOT_LOGGED_IN, NotLoggedInError, 'ERR_HSM_NOT_LOGGED_IN'],
    [pkcs11.CKR_MECHANISM_PARAM_INVALID, MechanismInvalidError, 'ERR_HSM_MECHANISM_INVALID'],
    [pkcs11.CKR_KEY_HANDLE_INVALID, Pkcs11CallError, 'ERR_HSM_PKCS11'],
    [pkcs11.CKR_DEVICE_ERROR, Pkcs11CallError, 'ERR_HSM_PKCS11'],
  ] as const)('rv %i', (rv, type, code: HsmErrorCode) => {
    const err = toHsmError(new pkcs11.Pkcs11Error(`${ckrName(rv)}:${rv}`), 'C_Test');
    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ code, ckr: ckrName(rv), rv });
    expect(err.message.startsWith(`${ckrName(rv)}: `)).toBe(true);
  });

  it('names every return value pkcs11js knows, and vendor values by number', () => {
    expect(ckrName(0xa0)).toBe('CKR_PIN_INCORRECT');
    expect(ckrName(0x80000123)).toBe('CKR_VENDOR_DEFINED_0x80000123');
  });

  it('leaves errors that are not PKCS#11 return values as they are', () => {
    const typeError = new TypeError('Parameter 1 MUST be Buffer');
    expect(toHsmError(typeError, 'C_Sign')).toBe(typeError);
    const ours = new DecryptionFailedError('CKR_GENERAL_ERROR', 5, 'C_Decrypt', 'x');
    expect(toHsmError(ours, 'C_Decrypt')).toBe(ours);
  });
});
