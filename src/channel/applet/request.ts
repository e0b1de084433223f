import { AppletError } from './errors';
import { decodeDisplayText, encodeDisplayText, MAX_DISPLAY, type DisplayLimits, type TextCoding } from './text';
import { decodeMessage, encodeMessage, type Field } from './tlv';

/**
 * The signature applet's request, format v1 (FORMAT.md is the reference; this file implements it).
 * It travels as the secured data of an OTA command packet to the applet's TAR.
 */

export const MAX_REQUEST_OCTETS = 1024;

/** Request tags, in the order they must appear. */
export const REQUEST_TAG = {
  transactionRef: 0x01,
  operation: 0x02,
  displayText: 0x03,
  verificationCode: 0x04,
  dataToBeSigned: 0x05,
  hashToBeSigned: 0x06,
  keyReference: 0x07,
  signatureAlgorithm: 0x08,
  signatureFormat: 0x09,
} as const;

export const OPERATIONS = {
  authenticate: { code: 0x01, key: 'authentication' },
  sign: { code: 0x02, key: 'signing' },
  'show-receipt': { code: 0x03, key: undefined },
  'payment-approval': { code: 0x04, key: 'signing' },
} as const;
export type Operation = keyof typeof OPERATIONS;
export type SigningOperation = Exclude<Operation, 'show-receipt'>;

export const KEY_REFERENCES = { authentication: 0x01, signing: 0x02 } as const;
export type KeyReference = keyof typeof KEY_REFERENCES;

export const HASH_ALGORITHMS = {
  'sha-256': { code: 0x01, length: 32 },
  'sha-384': { code: 0x02, length: 48 },
} as const;
export type HashAlgorithm = keyof typeof HASH_ALGORITHMS;

export const SIGNATURE_ALGORITHMS = {
  'rsa-pkcs1-sha256': { code: 0x01, hash: 'sha-256' },
  'rsa-pss-sha256': { code: 0x02, hash: 'sha-256' },
  'ecdsa-p256-sha256': { code: 0x03, hash: 'sha-256' },
  'ecdsa-p384-sha384': { code: 0x04, hash: 'sha-384' },
} as const satisfies Record<string, { code: number; hash: HashAlgorithm }>;
export type SignatureAlgorithm = keyof typeof SIGNATURE_ALGORITHMS;

/** 'raw': the bare signature value (PKCS#1 v1.5 or PSS octets for RSA, DER ECDSA-Sig-Value for EC); 'cms': CMS SignedData. */
export const SIGNATURE_FORMATS = { raw: 0x01, cms: 0x02 } as const;
export type SignatureFormat = keyof typeof SIGNATURE_FORMATS;

export const LIMITS = {
  transactionRef: { min: 1, max: 16 },
  dataToBeSigned: { min: 1, max: 512 },
  verificationCode: { min: 4, max: 8 },
} as const;

export type ToBeSigned =
  | { readonly kind: 'data'; readonly data: Uint8Array }
  | { readonly kind: 'hash'; readonly algorithm: HashAlgorithm; readonly digest: Uint8Array };

interface RequestBase {
  readonly transactionRef: Uint8Array;
  readonly displayText: string;
  /** Encoding: GSM 7-bit when every character has one, else UCS-2, unless given. Decoding fills it in. */
  readonly textCoding?: TextCoding;
}

export interface SigningRequest extends RequestBase {
  readonly operation: SigningOperation;
  /** The short code also shown on the relying party's screen, so the citizen can match the two. */
  readonly verificationCode?: string;
  readonly toBeSigned: ToBeSigned;
  readonly keyReference: KeyReference;
  readonly algorithm: SignatureAlgorithm;
  readonly signatureFormat: SignatureFormat;
}

export interface ReceiptRequest extends RequestBase {
  readonly operation: 'show-receipt';
}

export type AppletRequest = SigningRequest | ReceiptRequest;

export interface CodecOptions {
  /** The SIM's display limits (never above MAX_DISPLAY). */
  readonly displayLimits?: DisplayLimits;
}

const VERIFICATION_CODE = /^[0-9A-Z]{4,8}$/;
const KNOWN_TAGS = new Set<number>(Object.values(REQUEST_TAG));

function byCode<K extends string>(table: Readonly<Record<K, number>>, code: number | undefined, field: string): K {
  const found = (Object.keys(table) as K[]).find((k) => table[k] === code);
  if (found === undefined) throw new AppletError('BAD_VALUE', { field, value: code ?? -1 });
  return found;
}

function inRange(value: Uint8Array, range: { readonly min: number; readonly max: number }, field: string): void {
  if (value.length < range.min || value.length > range.max) throw new AppletError('BAD_VALUE', { field, length: value.length });
}

function codeTable<K extends string>(table: Readonly<Record<K, { readonly code: number }>>): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of Object.keys(table) as K[]) out[k] = table[k].code;
  return out;
}

const OPERATION_CODES = codeTable(OPERATIONS);
const HASH_CODES = codeTable(HASH_ALGORITHMS);
const ALGORITHM_CODES = codeTable(SIGNATURE_ALGORITHMS);

/** The rules FORMAT.md lists under "Request: consistency", applied the same way on both sides. */
function checkSigning(req: SigningRequest): void {
  const expectedKey = OPERATIONS[req.operation].key;
  if (req.keyReference !== expectedKey) throw new AppletError('BAD_VALUE', { field: 'keyReference', operation: req.operation });
  if (req.verificationCode !== undefined && !VERIFICATION_CODE.test(req.verificationCode)) {
    throw new AppletError('BAD_VALUE', { field: 'verificationCode' });
  }
  const tbs = req.toBeSigned;
  if (tbs.kind === 'data') {
    inRange(tbs.data, LIMITS.dataToBeSigned, 'dataToBeSigned');
  } else {
    if (tbs.digest.length !== HASH_ALGORITHMS[tbs.algorithm].length) throw new AppletError('BAD_VALUE', { field: 'hashToBeSigned', length: tbs.digest.length });
    if (SIGNATURE_ALGORITHMS[req.algorithm].hash !== tbs.algorithm) throw new AppletError('BAD_VALUE', { field: 'hashToBeSigned', reason: 'hash does not match the signature algorithm' });
  }
}

export function encodeRequest(req: AppletRequest, options: CodecOptions = {}): Buffer {
  inRange(req.transactionRef, LIMITS.transactionRef, 'transactionRef');
  const fields: Field[] = [
    { tag: REQUEST_TAG.transactionRef, value: Buffer.from(req.transactionRef) },
    { tag: REQUEST_TAG.operation, value: Buffer.from([OPERATIONS[req.operation].code]) },
    { tag: REQUEST_TAG.displayText, value: encodeDisplayText(req.displayText, req.textCoding, options.displayLimits ?? MAX_DISPLAY) },
  ];
  if (req.operation !== 'show-receipt') {
    checkSigning(req);
    if (req.verificationCode !== undefined) fields.push({ tag: REQUEST_TAG.verificationCode, value: Buffer.from(req.verificationCode, 'ascii') });
    const tbs = req.toBeSigned;
    if (tbs.kind === 'data') fields.push({ tag: REQUEST_TAG.dataToBeSigned, value: Buffer.from(tbs.data) });
    else fields.push({ tag: REQUEST_TAG.hashToBeSigned, value: Buffer.concat([Buffer.from([HASH_ALGORITHMS[tbs.algorithm].code]), tbs.digest]) });
    fields.push(
      { tag: REQUEST_TAG.keyReference, value: Buffer.from([KEY_REFERENCES[req.keyReference]]) },
      { tag: REQUEST_TAG.signatureAlgorithm, value: Buffer.from([SIGNATURE_ALGORITHMS[req.algorithm].code]) },
      { tag: REQUEST_TAG.signatureFormat, value: Buffer.from([SIGNATURE_FORMATS[req.signatureFormat]]) },
    );
  }
  return encodeMessage('request', fields, MAX_REQUEST_OCTETS);
}

function one(fields: Map<number, Buffer>, tag: number, field: string): number {
  const v = fields.get(tag);
  if (v === undefined) throw new AppletError('MISSING_FIELD', { field });
  if (v.length !== 1) throw new AppletError('BAD_VALUE', { field, length: v.length });
  return v[0] ?? 0;
}

function required(fields: Map<number, Buffer>, tag: number, field: string): Buffer {
  const v = fields.get(tag);
  if (v === undefined) throw new AppletError('MISSING_FIELD', { field });
  return v;
}

export function decodeRequest(bytes: Uint8Array, options: CodecOptions = {}): AppletRequest {
  const fields = decodeMessage(bytes, 'request', KNOWN_TAGS, MAX_REQUEST_OCTETS);
  const transactionRef = required(fields, REQUEST_TAG.transactionRef, 'transactionRef');
  inRange(transactionRef, LIMITS.transactionRef, 'transactionRef');
  const operation = byCode(OPERATION_CODES, one(fields, REQUEST_TAG.operation, 'operation'), 'operation');
  const { text, coding } = decodeDisplayText(required(fields, REQUEST_TAG.displayText, 'displayText'), options.displayLimits ?? MAX_DISPLAY);
  const base = { transactionRef, displayText: text, textCoding: coding };

  if (operation === 'show-receipt') {
    for (const [name, tag] of Object.entries(REQUEST_TAG)) {
      if (tag > REQUEST_TAG.displayText && fields.has(tag)) throw new AppletError('FORBIDDEN_FIELD', { field: name, operation });
    }
    return { ...base, operation };
  }

  const code = fields.get(REQUEST_TAG.verificationCode);
  const data = fields.get(REQUEST_TAG.dataToBeSigned);
  const hash = fields.get(REQUEST_TAG.hashToBeSigned);
  if ((data === undefined) === (hash === undefined)) throw new AppletError(data === undefined ? 'MISSING_FIELD' : 'FORBIDDEN_FIELD', { field: 'dataToBeSigned/hashToBeSigned' });
  let toBeSigned: ToBeSigned;
  if (data !== undefined) {
    toBeSigned = { kind: 'data', data };
  } else {
    const h = hash ?? Buffer.alloc(0);
    toBeSigned = { kind: 'hash', algorithm: byCode(HASH_CODES, h[0], 'hashAlgorithm'), digest: h.subarray(1) };
  }
  const req: SigningRequest = {
    ...base,
    operation,
    ...(code === undefined ? {} : { verificationCode: code.toString('latin1') }),
    toBeSigned,
    keyReference: byCode(KEY_REFERENCES, one(fields, REQUEST_TAG.keyReference, 'keyReference'), 'keyReference'),
    algorithm: byCode(ALGORITHM_CODES, one(fields, REQUEST_TAG.signatureAlgorithm, 'signatureAlgorithm'), 'signatureAlgorithm'),
    signatureFormat: byCode(SIGNATURE_FORMATS, one(fields, REQUEST_TAG.signatureFormat, 'signatureFormat'), 'signatureFormat'),
  };
  checkSigning(req);
  return req;
}
