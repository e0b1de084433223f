import { randomBytes } from 'node:crypto';
import * as pkcs11 from 'pkcs11js';
import { AES_KEY_BITS, CURVES, RSA_MODULUS_BITS, RSA_PUBLIC_EXPONENT, type AesKeyBits, type CurveName, type RsaModulusBits } from './algorithms';
import { KeyUnsuitableError, UnsupportedError, toHsmError } from './errors';
import { describeObject, toHsmKey, toIdBuffer, type HsmKey, type HsmKeyPair, type ObjectRecord } from './objects';

/**
 * Key generation in the token. Every private and secret key is CKA_SENSITIVE and not CKA_EXTRACTABLE
 * (DESIGN.md: keys never leave a token), and has exactly the usages its job needs.
 */

export type KeyPairSpec =
  | { readonly type: 'RSA'; readonly modulusBits: RsaModulusBits; readonly usage?: 'sign' | 'unwrap' }
  | { readonly type: 'EC'; readonly curve: CurveName };

export interface NewKeyOptions {
  readonly label: string;
  /** CKA_ID; 16 random bytes when absent. */
  readonly id?: Uint8Array | string;
  /** Token (persistent) object; default true. False makes a session object. */
  readonly token?: boolean;
}

function commonTemplate(cls: number, keyType: number, options: NewKeyOptions, id: Buffer, isPrivate: boolean): pkcs11.Template {
  return [
    { type: pkcs11.CKA_CLASS, value: cls },
    { type: pkcs11.CKA_KEY_TYPE, value: keyType },
    { type: pkcs11.CKA_TOKEN, value: options.token ?? true },
    { type: pkcs11.CKA_PRIVATE, value: isPrivate },
    { type: pkcs11.CKA_LABEL, value: options.label },
    { type: pkcs11.CKA_ID, value: id },
  ];
}

/** Attributes that keep a private or secret key inside the token for its whole life. */
const NEVER_LEAVES: pkcs11.Template = [
  { type: pkcs11.CKA_SENSITIVE, value: true },
  { type: pkcs11.CKA_EXTRACTABLE, value: false },
];

export function secretKeyTemplate(options: NewKeyOptions, id: Buffer): pkcs11.Template {
  return [
    ...commonTemplate(pkcs11.CKO_SECRET_KEY, pkcs11.CKK_AES, options, id, true),
    ...NEVER_LEAVES,
    { type: pkcs11.CKA_ENCRYPT, value: true },
    { type: pkcs11.CKA_DECRYPT, value: true },
    { type: pkcs11.CKA_WRAP, value: false },
    { type: pkcs11.CKA_UNWRAP, value: false },
    { type: pkcs11.CKA_SIGN, value: false },
    { type: pkcs11.CKA_VERIFY, value: false },
    { type: pkcs11.CKA_DERIVE, value: false },
  ];
}

function newId(options: NewKeyOptions): Buffer {
  return options.id === undefined ? randomBytes(16) : toIdBuffer(options.id);
}

function destroyQuietly(p11: pkcs11.PKCS11, session: Buffer, handle: Buffer): void {
  try {
    p11.C_DestroyObject(session, handle);
  } catch {
    // Nothing more we can do for an object the token will not destroy.
  }
}

/** Checks that the token kept what the template asked: some tokens silently ignore attributes. */
function ensureNeverLeaves(p11: pkcs11.PKCS11, session: Buffer, record: ObjectRecord, cleanup: readonly Buffer[]): void {
  if (record.sensitive && !record.extractable) return;
  for (const handle of cleanup) destroyQuietly(p11, session, handle);
  throw new KeyUnsuitableError(`the token made "${record.label}" ${record.sensitive ? '' : 'not sensitive '}${record.extractable ? 'extractable' : ''}; it was destroyed`);
}

export function generateKeyPair(p11: pkcs11.PKCS11, session: Buffer, spec: KeyPairSpec, options: NewKeyOptions): Promise<HsmKeyPair> {
  const id = newId(options);
  let mechanism: pkcs11.Mechanism;
  let publicTemplate: pkcs11.Template;
  let privateTemplate: pkcs11.Template;
  if (spec.type === 'RSA') {
    if (!(RSA_MODULUS_BITS as readonly number[]).includes(spec.modulusBits)) {
      throw new UnsupportedError(`RSA keys are ${RSA_MODULUS_BITS.join(', ')} bits, not ${spec.modulusBits}`);
    }
    // One key, one job: a signing key cannot unwrap, an unwrapping key cannot sign.
    const unwrap = spec.usage === 'unwrap';
    mechanism = { mechanism: pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN };
    publicTemplate = [
      ...commonTemplate(pkcs11.CKO_PUBLIC_KEY, pkcs11.CKK_RSA, options, id, false),
      { type: pkcs11.CKA_MODULUS_BITS, value: spec.modulusBits },
      { type: pkcs11.CKA_PUBLIC_EXPONENT, value: RSA_PUBLIC_EXPONENT },
      { type: pkcs11.CKA_VERIFY, value: !unwrap },
      { type: pkcs11.CKA_WRAP, value: unwrap },
      { type: pkcs11.CKA_ENCRYPT, value: unwrap },
      { type: pkcs11.CKA_DERIVE, value: false },
    ];
    privateTemplate = [
      ...commonTemplate(pkcs11.CKO_PRIVATE_KEY, pkcs11.CKK_RSA, options, id, true),
      ...NEVER_LEAVES,
      { type: pkcs11.CKA_SIGN, value: !unwrap },
      { type: pkcs11.CKA_UNWRAP, value: unwrap },
      { type: pkcs11.CKA_DECRYPT, value: false },
      { type: pkcs11.CKA_DERIVE, value: false },
    ];
  } else {
    const curve = CURVES[spec.curve];
    if (curve === undefined) throw new UnsupportedError(`EC keys are on ${Object.keys(CURVES).join(', ')}, not ${String(spec.curve)}`);
    mechanism = { mechanism: pkcs11.CKM_EC_KEY_PAIR_GEN };
    publicTemplate = [
      ...commonTemplate(pkcs11.CKO_PUBLIC_KEY, pkcs11.CKK_EC, options, id, false),
      { type: pkcs11.CKA_EC_PARAMS, value: Buffer.from(curve.ecParams, 'hex') },
      // Said explicitly: SoftHSM2 defaults the usages we do not name to true.
      { type: pkcs11.CKA_VERIFY, value: true },
      { type: pkcs11.CKA_ENCRYPT, value: false },
      { type: pkcs11.CKA_WRAP, value: false },
      { type: pkcs11.CKA_DERIVE, value: false },
    ];
    privateTemplate = [
      ...commonTemplate(pkcs11.CKO_PRIVATE_KEY, pkcs11.CKK_EC, options, id, true),
      ...NEVER_LEAVES,
      { type: pkcs11.CKA_SIGN, value: true },
      { type: pkcs11.CKA_DECRYPT, value: false },
      { type: pkcs11.CKA_UNWRAP, value: false },
      { type: pkcs11.CKA_DERIVE, value: false },
    ];
  }
  // Async: RSA-3072 generation takes seconds and must not block the event loop.
  return new Promise<HsmKeyPair>((resolve, reject) => {
    p11.C_GenerateKeyPair(session, mechanism, publicTemplate, privateTemplate, (err, keys) => {
      if (err) {
        reject(toHsmError(err, 'C_GenerateKeyPair'));
        return;
      }
      try {
        const priv = describeObject(p11, session, keys.privateKey);
        ensureNeverLeaves(p11, session, priv, [keys.privateKey, keys.publicKey]);
        const privateKey = toHsmKey(priv);
        const publicKey = toHsmKey(describeObject(p11, session, keys.publicKey));
        if (privateKey === undefined || publicKey === undefined) throw new KeyUnsuitableError('the token made a key pair of an unexpected type');
        resolve({ privateKey, publicKey });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

export function generateAesKey(p11: pkcs11.PKCS11, session: Buffer, bits: AesKeyBits, options: NewKeyOptions): Promise<HsmKey> {
  if (!(AES_KEY_BITS as readonly number[]).includes(bits)) throw new UnsupportedError(`AES keys are ${AES_KEY_BITS.join(', ')} bits, not ${bits}`);
  const template = [...secretKeyTemplate(options, newId(options)), { type: pkcs11.CKA_VALUE_LEN, value: bits / 8 }];
  return new Promise<HsmKey>((resolve, reject) => {
    p11.C_GenerateKey(session, { mechanism: pkcs11.CKM_AES_KEY_GEN }, template, (err, handle) => {
      if (err) {
        reject(toHsmError(err, 'C_GenerateKey'));
        return;
      }
      try {
        const record = describeObject(p11, session, handle);
        ensureNeverLeaves(p11, session, record, [handle]);
        const key = toHsmKey(record);
        if (key === undefined) throw new KeyUnsuitableError('the token made a secret key of an unexpected type');
        resolve(key);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

export function destroyKey(p11: pkcs11.PKCS11, session: Buffer, key: HsmKey): void {
  try {
    p11.C_DestroyObject(session, key.handle);
  } catch (err) {
    throw toHsmError(err, 'C_DestroyObject');
  }
}
