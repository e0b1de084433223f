/**
 * The SIM personalisation file: how a card personaliser hands the operator each SIM's OTA keys, encrypted for
 * this platform (PERSONALISATION.md beside this file). JSON lines, one SIM each:
 *
 *   {"format":"mssp-sim-personalisation/1","msisdn":"35850000001","iccid":"8935850000000000001","tar":"b00010",
 *    "keyVersion":1,"kic":{"algorithm":"AES-CBC","bits":128,"wrapped":"<base64>"},
 *    "kid":{"algorithm":"AES-CMAC","bits":128,"wrapped":"<base64>"},
 *    "wrapping":{"algorithm":"RSA-OAEP","hash":"SHA-1","transportKey":"<SHA-256 of the transport key's SPKI, hex>"}}
 *
 * `wrapped` is the key's octets encrypted with RSA-OAEP (empty label, MGF1 with the same hash) under the
 * platform's transport public key (`mssp sim transport-key`); `mssp sim import` unwraps them inside the HSM.
 * This module only reads and checks a line; nothing here sees a key in clear.
 */

export const PERSONALISATION_FORMAT = 'mssp-sim-personalisation/1';

export interface WrappedOtaKey {
  readonly algorithm: 'AES-CBC' | 'AES-CMAC';
  readonly bits: 128 | 192 | 256;
  readonly wrapped: Buffer;
}

export interface PersonalisationLine {
  /** E.164 digits without '+'. */
  readonly msisdn: string;
  readonly iccid: string;
  /** lower-case hex, 3 octets */
  readonly tar: string;
  readonly keyVersion: number;
  readonly kic: WrappedOtaKey;
  readonly kid: WrappedOtaKey;
  readonly wrapping: { readonly algorithm: 'RSA-OAEP'; readonly hash: 'SHA-1' | 'SHA-256'; readonly transportKey: string };
}

/** A line that cannot be imported; `field` names what is wrong (never a key value). */
export class PersonalisationError extends Error {
  override readonly name = 'PersonalisationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function str(o: Obj, field: string, pattern: RegExp, what: string): string {
  const v = o[field];
  if (typeof v !== 'string') throw new PersonalisationError(field, 'missing or not text');
  if (!pattern.test(v)) throw new PersonalisationError(field, `must be ${what}`);
  return v;
}

const BITS = [128, 192, 256] as const;

function wrappedKey(o: Obj, field: 'kic' | 'kid', algorithm: WrappedOtaKey['algorithm']): WrappedOtaKey {
  const k = o[field];
  if (!isObj(k)) throw new PersonalisationError(field, 'missing or not an object');
  if (k.algorithm !== algorithm) throw new PersonalisationError(`${field}.algorithm`, `must be ${algorithm} (the platform holds AES OTA keys only)`);
  const bits = BITS.find((b) => b === k.bits);
  if (bits === undefined) throw new PersonalisationError(`${field}.bits`, 'must be 128, 192 or 256');
  const wrapped = str(k, 'wrapped', /^[A-Za-z0-9+/]{40,1400}={0,2}$/, 'base64 of an RSA-OAEP ciphertext');
  return { algorithm, bits, wrapped: Buffer.from(wrapped, 'base64') };
}

/** Reads one line of the file; throws PersonalisationError naming the field. */
export function readPersonalisationLine(line: string): PersonalisationLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new PersonalisationError('line', 'not JSON');
  }
  if (!isObj(parsed)) throw new PersonalisationError('line', 'not a JSON object');
  if (parsed.format !== PERSONALISATION_FORMAT) throw new PersonalisationError('format', `must be ${PERSONALISATION_FORMAT}`);
  const msisdn = str(parsed, 'msisdn', /^\+?[1-9][0-9]{7,14}$/, 'an international number (E.164, 8 to 15 digits)').replace(/^\+/, '');
  const iccid = str(parsed, 'iccid', /^89[0-9]{16,18}$/, 'an ICCID (89, then 16 to 18 digits)');
  const tar = str(parsed, 'tar', /^[0-9a-fA-F]{6}$/, '3 octets in hex').toLowerCase();
  const keyVersion = parsed.keyVersion;
  if (typeof keyVersion !== 'number' || !Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > 15) throw new PersonalisationError('keyVersion', 'must be 1 to 15 (TS 102 225 key version)');
  const wrapping = parsed.wrapping;
  if (!isObj(wrapping)) throw new PersonalisationError('wrapping', 'missing or not an object');
  if (wrapping.algorithm !== 'RSA-OAEP') throw new PersonalisationError('wrapping.algorithm', 'must be RSA-OAEP');
  if (wrapping.hash !== 'SHA-1' && wrapping.hash !== 'SHA-256') throw new PersonalisationError('wrapping.hash', 'must be SHA-1 or SHA-256');
  const transportKey = str(wrapping, 'transportKey', /^[0-9a-f]{64}$/, 'the SHA-256 of the transport public key (hex)');
  return {
    msisdn,
    iccid,
    tar,
    keyVersion,
    kic: wrappedKey(parsed, 'kic', 'AES-CBC'),
    kid: wrappedKey(parsed, 'kid', 'AES-CMAC'),
    wrapping: { algorithm: 'RSA-OAEP', hash: wrapping.hash, transportKey },
  };
}
