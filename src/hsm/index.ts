/**
 * src/hsm: PKCS#11 sessions and keys. The only module that touches key material (DESIGN.md); every
 * other module signs, unwraps and encrypts through an Hsm it is given.
 */
export { Hsm, openHsm, type OpenHsmOptions, type PoolStats, type KeyPairQuery, type AesGcmOptions } from './hsm';
export type { HsmKey, HsmKeyPair, KeyClass, KeyType, ObjectClass, ObjectInfo, KeyQuery } from './objects';
export type { KeyPairSpec, NewKeyOptions } from './keys';
export type { AesGcmSealed, AesGcmOpenInput, UnwrapOptions } from './aes';
export {
  SIGNATURE_ALGORITHMS,
  KEY_TRANSPORT_ALGORITHMS,
  DEFAULT_KEY_TRANSPORT,
  AES_GCM,
  CURVES,
  HASHES,
  isSignatureAlgorithmName,
  type SignatureAlgorithmName,
  type SignatureAlgorithm,
  type KeyTransportAlgorithmName,
  type CurveName,
  type HashName,
  type RsaModulusBits,
  type AesKeyBits,
} from './algorithms';
export { ecdsaDerToRaw, ecdsaRawToDer } from './ecdsa-der';
export { HsmCrypto, TokenCryptoKey } from './webcrypto';
export {
  HsmError,
  Pkcs11Error,
  ModuleLoadError,
  TokenNotFoundError,
  TokenAmbiguousError,
  TokenInUseError,
  KeyNotFoundError,
  KeyAmbiguousError,
  KeyUnsuitableError,
  UnsupportedError,
  SignatureEncodingError,
  HsmClosedError,
  Pkcs11CallError,
  PinIncorrectError,
  PinLockedError,
  NotLoggedInError,
  MechanismInvalidError,
  DecryptionFailedError,
  isHsmFailure,
  type HsmFailure,
  type HsmErrorCode,
  type CkrName,
} from './errors';
export { CardToken, CardTokenDirectory, type CardTokenSpec } from './card-token';
export { AES_BLOCK, type AesKeyUsage, type ImportAesKeyOptions } from './symmetric';
