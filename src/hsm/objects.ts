import { endianness } from 'node:os';
import * as pkcs11 from 'pkcs11js';
import { CURVES, curveByEcParams, type CurveName } from './algorithms';
import { KeyAmbiguousError, KeyNotFoundError, toHsmError } from './errors';

/**
 * Objects in the token as we see them: handles plus public attributes, found by class, label and id.
 * Nothing here reads a value that is key material.
 */

export type KeyClass = 'privateKey' | 'publicKey' | 'secretKey';
export type ObjectClass = KeyClass | 'data' | 'certificate' | 'other';
export type KeyType = 'RSA' | 'EC' | 'AES';

/**
 * A key in the token: a handle plus what we read of its public attributes. Handles are valid only while
 * the Hsm that found them is open. Nothing here is key material.
 */
export interface HsmKey {
  readonly handle: Buffer;
  readonly class: KeyClass;
  readonly keyType: KeyType;
  readonly label: string;
  /** CKA_ID in hex ('' when the object has none). */
  readonly id: string;
  /** True for a token object (persistent), false for a session object (gone when the Hsm closes). */
  readonly token: boolean;
  /** RSA modulus bits, EC field bits or AES key bits; 0 when the token does not say (SoftHSM2's unwrapped keys). */
  readonly bits: number;
  readonly curve?: CurveName;
}

export interface HsmKeyPair {
  readonly privateKey: HsmKey;
  readonly publicKey: HsmKey;
}

/** One row of `mssp hsm keys`: attributes only, never values. */
export interface ObjectInfo {
  readonly label: string;
  readonly id: string;
  readonly class: ObjectClass;
  /** 'RSA', 'EC', 'AES', 'GENERIC_SECRET', …; undefined for objects that are not keys. */
  readonly keyType?: string;
  /** CKA_SENSITIVE; false where the attribute does not apply (public keys, certificates). */
  readonly sensitive: boolean;
  /** CKA_EXTRACTABLE; false where the attribute does not apply. */
  readonly extractable: boolean;
  readonly alwaysSensitive: boolean;
  readonly neverExtractable: boolean;
  readonly token: boolean;
  readonly bits: number;
  readonly curve?: CurveName;
}

export interface ObjectRecord extends ObjectInfo {
  readonly handle: Buffer;
}

export interface KeyQuery {
  readonly class: KeyClass;
  readonly label?: string;
  readonly id?: Uint8Array | string;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** CK_ULONG attribute values come back in the platform's byte order and word size. */
function ulong(value: Buffer): number {
  if (value.length === 8) return Number(LITTLE_ENDIAN ? value.readBigUInt64LE(0) : value.readBigUInt64BE(0));
  if (value.length === 4) return LITTLE_ENDIAN ? value.readUInt32LE(0) : value.readUInt32BE(0);
  return 0;
}

const bool = (value: Buffer | undefined): boolean => value !== undefined && value.length > 0 && value[0] !== 0;

const CLASS_NAMES: ReadonlyMap<number, ObjectClass> = new Map([
  [pkcs11.CKO_DATA, 'data'],
  [pkcs11.CKO_CERTIFICATE, 'certificate'],
  [pkcs11.CKO_PUBLIC_KEY, 'publicKey'],
  [pkcs11.CKO_PRIVATE_KEY, 'privateKey'],
  [pkcs11.CKO_SECRET_KEY, 'secretKey'],
]);
const CLASS_VALUES: Readonly<Record<KeyClass, number>> = {
  privateKey: pkcs11.CKO_PRIVATE_KEY,
  publicKey: pkcs11.CKO_PUBLIC_KEY,
  secretKey: pkcs11.CKO_SECRET_KEY,
};
const KEY_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [pkcs11.CKK_RSA, 'RSA'],
  [pkcs11.CKK_EC, 'EC'],
  [pkcs11.CKK_AES, 'AES'],
  [pkcs11.CKK_GENERIC_SECRET, 'GENERIC_SECRET'],
  [pkcs11.CKK_DES3, 'DES3'],
  [pkcs11.CKK_DSA, 'DSA'],
  [pkcs11.CKK_DH, 'DH'],
]);

export function toIdBuffer(id: Uint8Array | string): Buffer {
  if (typeof id !== 'string') return Buffer.from(id);
  if (!/^([0-9a-fA-F]{2})*$/.test(id)) throw new TypeError(`a key id is hex (an even number of 0-9a-f), not "${id}"`);
  return Buffer.from(id, 'hex');
}

export function getAttributes(p11: pkcs11.PKCS11, session: Buffer, handle: Buffer, types: readonly number[]): Buffer[] {
  try {
    return p11.C_GetAttributeValue(session, handle, types.map((type) => ({ type }))).map((a) => a.value);
  } catch (err) {
    throw toHsmError(err, 'C_GetAttributeValue');
  }
}

/** Attributes that only some classes have are read per class: asking for one that does not apply fails the whole call. */
export function describeObject(p11: pkcs11.PKCS11, session: Buffer, handle: Buffer): ObjectRecord {
  const [cls, token, label, id] = getAttributes(p11, session, handle, [pkcs11.CKA_CLASS, pkcs11.CKA_TOKEN, pkcs11.CKA_LABEL, pkcs11.CKA_ID]);
  const objectClass = CLASS_NAMES.get(ulong(cls ?? Buffer.alloc(0))) ?? 'other';
  const base = {
    handle,
    label: (label ?? Buffer.alloc(0)).toString('utf8'),
    id: (id ?? Buffer.alloc(0)).toString('hex'),
    class: objectClass,
    token: bool(token),
  };
  if (objectClass !== 'privateKey' && objectClass !== 'publicKey' && objectClass !== 'secretKey') {
    return { ...base, sensitive: false, extractable: false, alwaysSensitive: false, neverExtractable: false, bits: 0 };
  }
  const [keyTypeValue] = getAttributes(p11, session, handle, [pkcs11.CKA_KEY_TYPE]);
  const ckk = ulong(keyTypeValue ?? Buffer.alloc(0));
  const keyType = KEY_TYPE_NAMES.get(ckk) ?? `CKK_0x${ckk.toString(16)}`;
  let sensitive = false;
  let extractable = false;
  let alwaysSensitive = false;
  let neverExtractable = false;
  if (objectClass !== 'publicKey') {
    const flags = getAttributes(p11, session, handle, [
      pkcs11.CKA_SENSITIVE,
      pkcs11.CKA_EXTRACTABLE,
      pkcs11.CKA_ALWAYS_SENSITIVE,
      pkcs11.CKA_NEVER_EXTRACTABLE,
    ]);
    [sensitive, extractable, alwaysSensitive, neverExtractable] = flags.map(bool) as [boolean, boolean, boolean, boolean];
  }
  let bits = 0;
  let curve: CurveName | undefined;
  if (ckk === pkcs11.CKK_RSA) {
    const [modulus] = getAttributes(p11, session, handle, [pkcs11.CKA_MODULUS]);
    bits = bitLength(modulus ?? Buffer.alloc(0));
  } else if (ckk === pkcs11.CKK_EC) {
    const [params] = getAttributes(p11, session, handle, [pkcs11.CKA_EC_PARAMS]);
    curve = curveByEcParams(params ?? Buffer.alloc(0));
    bits = curve === undefined ? 0 : CURVES[curve].bits;
  } else if (ckk === pkcs11.CKK_AES) {
    const [valueLen] = getAttributes(p11, session, handle, [pkcs11.CKA_VALUE_LEN]);
    bits = ulong(valueLen ?? Buffer.alloc(0)) * 8;
  }
  return { ...base, keyType, sensitive, extractable, alwaysSensitive, neverExtractable, bits, ...(curve ? { curve } : {}) };
}

function bitLength(bigEndian: Buffer): number {
  let i = 0;
  while (i < bigEndian.length && bigEndian[i] === 0) i += 1;
  if (i === bigEndian.length) return 0;
  return (bigEndian.length - i) * 8 - Math.clz32(bigEndian[i] ?? 0) + 24;
}

export function toHsmKey(record: ObjectRecord): HsmKey | undefined {
  if (record.class !== 'privateKey' && record.class !== 'publicKey' && record.class !== 'secretKey') return undefined;
  if (record.keyType !== 'RSA' && record.keyType !== 'EC' && record.keyType !== 'AES') return undefined;
  return {
    handle: record.handle,
    class: record.class,
    keyType: record.keyType,
    label: record.label,
    id: record.id,
    token: record.token,
    bits: record.bits,
    ...(record.curve ? { curve: record.curve } : {}),
  };
}

export function findObjects(p11: pkcs11.PKCS11, session: Buffer, template: pkcs11.Template): Buffer[] {
  try {
    p11.C_FindObjectsInit(session, template);
  } catch (err) {
    throw toHsmError(err, 'C_FindObjectsInit');
  }
  const handles: Buffer[] = [];
  try {
    for (;;) {
      const batch = p11.C_FindObjects(session, 64);
      handles.push(...batch);
      if (batch.length < 64) break;
    }
  } catch (err) {
    throw toHsmError(err, 'C_FindObjects');
  } finally {
    try {
      p11.C_FindObjectsFinal(session);
    } catch {
      // The search is over either way.
    }
  }
  return handles;
}

export function listObjects(p11: pkcs11.PKCS11, session: Buffer): ObjectRecord[] {
  return findObjects(p11, session, []).map((handle) => describeObject(p11, session, handle));
}

export function findKeys(p11: pkcs11.PKCS11, session: Buffer, query: KeyQuery): HsmKey[] {
  const template: pkcs11.Template = [{ type: pkcs11.CKA_CLASS, value: CLASS_VALUES[query.class] }];
  if (query.label !== undefined) template.push({ type: pkcs11.CKA_LABEL, value: query.label });
  if (query.id !== undefined) template.push({ type: pkcs11.CKA_ID, value: toIdBuffer(query.id) });
  const keys: HsmKey[] = [];
  for (const handle of findObjects(p11, session, template)) {
    const key = toHsmKey(describeObject(p11, session, handle));
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

export function findKey(p11: pkcs11.PKCS11, session: Buffer, query: KeyQuery): HsmKey {
  if (query.label === undefined && query.id === undefined) throw new TypeError('findKey needs a label, an id or both');
  const keys = findKeys(p11, session, query);
  const description = {
    class: query.class,
    ...(query.label !== undefined ? { label: query.label } : {}),
    ...(query.id !== undefined ? { id: toIdBuffer(query.id).toString('hex') } : {}),
  };
  const [key] = keys;
  if (key === undefined) throw new KeyNotFoundError(description);
  if (keys.length > 1) throw new KeyAmbiguousError(description, keys.length);
  return key;
}

/** An EC private key does not hold its point: the public key object with the same CKA_ID (else label) does. */
export function matchingPublicKey(p11: pkcs11.PKCS11, session: Buffer, privateKey: HsmKey): HsmKey {
  const query: KeyQuery = privateKey.id !== '' ? { class: 'publicKey', id: privateKey.id } : { class: 'publicKey', label: privateKey.label };
  const candidates = findKeys(p11, session, query).filter((k) => k.keyType === privateKey.keyType && k.curve === privateKey.curve);
  const [match] = candidates;
  if (match === undefined) throw new KeyNotFoundError({ class: 'publicKey', ...(privateKey.id !== '' ? { id: privateKey.id } : { label: privateKey.label }) });
  if (candidates.length > 1) throw new KeyAmbiguousError({ class: 'publicKey', id: privateKey.id }, candidates.length);
  return match;
}
