import { createHash } from 'node:crypto';
import * as pkcs11 from 'pkcs11js';
import { CURVES, HASHES, SIGNATURE_ALGORITHMS, type SignatureAlgorithm, type SignatureAlgorithmName, type SignatureInput } from './algorithms';
import { ecdsaDerToRaw, ecdsaRawToDer } from './ecdsa-der';
import { KeyUnsuitableError, SignatureEncodingError, UnsupportedError, returnValueOf, toHsmError } from './errors';
import type { HsmKey } from './objects';
import { runSingleShot, type OperationContext, type SingleShot } from './operation';

/**
 * An algorithm bound to what this token offers, decided once when the Hsm opens: the mechanism object
 * (reused by every call, never rebuilt), how the input is made, and the hash to run in software if any.
 */
export interface PreparedSignature {
  readonly name: SignatureAlgorithmName;
  readonly entry: SignatureAlgorithm;
  readonly mechanism: pkcs11.Mechanism;
  readonly mechanismName: string;
  readonly input: SignatureInput;
  readonly nodeHash: string;
  readonly digestInfoPrefix: Buffer;
  /** Identity under which verify operations are timed (signing is timed under the prepared object itself). */
  readonly verifyTimerKey: object;
}

export type PreparedSignatures = Partial<Record<SignatureAlgorithmName, PreparedSignature>>;

export function prepareSignatures(available: ReadonlySet<number>): PreparedSignatures {
  const out: PreparedSignatures = {};
  for (const [name, entry] of Object.entries(SIGNATURE_ALGORITHMS) as [SignatureAlgorithmName, SignatureAlgorithm][]) {
    const choice = available.has(entry.combined.ckm) ? entry.combined : available.has(entry.raw.ckm) ? entry.raw : undefined;
    if (choice === undefined) continue;
    const hash = HASHES[entry.hash];
    const mechanism: pkcs11.Mechanism =
      entry.pss !== undefined
        ? {
            mechanism: choice.ckm,
            parameter: { type: pkcs11.CK_PARAMS_RSA_PSS, hashAlg: hash.ckm, mgf: hash.mgf, saltLen: entry.pss.saltLength } as pkcs11.RsaPSS,
          }
        : { mechanism: choice.ckm };
    out[name] = Object.freeze({
      name,
      entry,
      mechanism: Object.freeze(mechanism),
      mechanismName: choice.name,
      input: choice.input,
      nodeHash: hash.node,
      digestInfoPrefix: Buffer.from(hash.digestInfoPrefix, 'hex'),
      verifyTimerKey: Object.freeze({}),
    });
  }
  return out;
}

export function requirePrepared(prepared: PreparedSignatures, name: SignatureAlgorithmName): PreparedSignature {
  const found = prepared[name];
  if (found !== undefined) return found;
  const entry = SIGNATURE_ALGORITHMS[name] as SignatureAlgorithm | undefined;
  if (entry === undefined) throw new UnsupportedError(`unknown signature algorithm ${String(name)}`);
  throw new UnsupportedError(`the token offers neither ${entry.combined.name} nor ${entry.raw.name}, so it cannot do ${name}`);
}

export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** What goes into C_Sign / C_Verify for this message. */
export function signatureInput(prepared: PreparedSignature, data: Buffer): Buffer {
  switch (prepared.input) {
    case 'message':
      return data;
    case 'digest':
      return createHash(prepared.nodeHash).update(data).digest();
    case 'digestInfo':
      return Buffer.concat([prepared.digestInfoPrefix, createHash(prepared.nodeHash).update(data).digest()]);
  }
}

export function checkKey(prepared: PreparedSignature, key: HsmKey, keyClass: 'privateKey' | 'publicKey'): void {
  const entry = prepared.entry;
  if (key.class !== keyClass || key.keyType !== entry.keyType) {
    throw new KeyUnsuitableError(`${prepared.name} needs an ${entry.keyType} ${keyClass === 'privateKey' ? 'private' : 'public'} key; "${key.label}" is an ${key.keyType} ${key.class}`);
  }
  if (key.bits < entry.minKeyBits) {
    throw new KeyUnsuitableError(`${prepared.name} needs a key of at least ${entry.minKeyBits} bits; "${key.label}" has ${key.bits || 'an unknown number of'} bits`);
  }
}

/** Size of the token's signature for this key: the modulus for RSA, r‖s for ECDSA. */
export function signatureLength(key: HsmKey): number {
  if (key.keyType === 'EC' && key.curve !== undefined) return 2 * CURVES[key.curve].fieldBytes;
  return (key.bits + 7) >> 3 || 1024;
}

class SignOperation implements SingleShot<Buffer> {
  constructor(
    private readonly prepared: PreparedSignature,
    private readonly key: HsmKey,
    private readonly input: Buffer,
    private readonly der: boolean,
  ) {}

  init(p11: pkcs11.PKCS11, session: Buffer): void {
    p11.C_SignInit(session, this.prepared.mechanism, this.key.handle);
  }

  callSync(p11: pkcs11.PKCS11, session: Buffer): Buffer {
    return this.finish(p11.C_Sign(session, this.input, Buffer.allocUnsafe(signatureLength(this.key))));
  }

  callAsync(p11: pkcs11.PKCS11, session: Buffer, done: (err: Error | null, value: Buffer) => void): void {
    // `this` holds `input` for as long as the native worker reads it (pkcs11js keeps only a pointer).
    p11.C_Sign(session, this.input, Buffer.allocUnsafe(signatureLength(this.key)), (err, signature) => {
      if (err) {
        done(err, signature);
        return;
      }
      let value: Buffer;
      try {
        value = this.finish(signature);
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)), signature);
        return;
      }
      done(null, value);
    });
  }

  private finish(signature: Buffer): Buffer {
    return this.der ? ecdsaRawToDer(signature) : signature;
  }

  answer(): undefined {
    return undefined;
  }

  failure(err: unknown, step: 'init' | 'call'): Error {
    return toHsmError(err, step === 'init' ? 'C_SignInit' : 'C_Sign');
  }
}

class VerifyOperation implements SingleShot<boolean> {
  constructor(
    private readonly prepared: PreparedSignature,
    private readonly key: HsmKey,
    private readonly input: Buffer,
    private readonly signature: Buffer,
  ) {}

  init(p11: pkcs11.PKCS11, session: Buffer): void {
    p11.C_VerifyInit(session, this.prepared.mechanism, this.key.handle);
  }

  callSync(p11: pkcs11.PKCS11, session: Buffer): boolean {
    return p11.C_Verify(session, this.input, this.signature);
  }

  callAsync(p11: pkcs11.PKCS11, session: Buffer, done: (err: Error | null, value: boolean) => void): void {
    p11.C_Verify(session, this.input, this.signature, done);
  }

  answer(err: unknown): { readonly value: boolean } | undefined {
    const rv = returnValueOf(err);
    return rv === pkcs11.CKR_SIGNATURE_INVALID || rv === pkcs11.CKR_SIGNATURE_LEN_RANGE ? { value: false } : undefined;
  }

  failure(err: unknown, step: 'init' | 'call'): Error {
    return toHsmError(err, step === 'init' ? 'C_VerifyInit' : 'C_Verify');
  }
}

/**
 * Signs `data` with one pooled session. `ecdsaFormat` 'der' for X.509/CMS/OpenSSL, 'raw' (r‖s) for WebCrypto.
 * Inline or on a libuv thread as the InlinePolicy decides; either way the only promise is the one returned.
 */
export function signWithPool(ctx: OperationContext, prepared: PreparedSignature, key: HsmKey, data: Uint8Array, ecdsaFormat: 'der' | 'raw'): Promise<Buffer> {
  checkKey(prepared, key, 'privateKey');
  const input = signatureInput(prepared, asBuffer(data));
  const op = new SignOperation(prepared, key, input, ecdsaFormat === 'der' && prepared.entry.keyType === 'EC');
  return runSingleShot(ctx, op, ctx.inline.timer(prepared, key.bits));
}

/**
 * C_VerifyInit + C_Verify in the token. An invalid signature is `false`, not an error; so is an ECDSA
 * signature that is not strict DER (a malformed one never reaches the token).
 */
export function verifyWithPool(
  ctx: OperationContext,
  prepared: PreparedSignature,
  key: HsmKey,
  data: Uint8Array,
  signature: Uint8Array,
  ecdsaFormat: 'der' | 'raw',
): Promise<boolean> {
  checkKey(prepared, key, 'publicKey');
  let sig = asBuffer(signature);
  if (prepared.entry.keyType === 'EC') {
    if (key.curve === undefined) throw new KeyUnsuitableError(`the EC key "${key.label}" is on a curve we do not know`);
    const fieldBytes = CURVES[key.curve].fieldBytes;
    if (ecdsaFormat === 'der') {
      try {
        sig = ecdsaDerToRaw(sig, fieldBytes);
      } catch (err) {
        if (err instanceof SignatureEncodingError) return Promise.resolve(false);
        throw err;
      }
    } else if (sig.length !== 2 * fieldBytes) {
      return Promise.resolve(false);
    }
  }
  const op = new VerifyOperation(prepared, key, signatureInput(prepared, asBuffer(data)), sig);
  return runSingleShot(ctx, op, ctx.inline.timer(prepared.verifyTimerKey, key.bits));
}
