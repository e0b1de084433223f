import { createHash, createPublicKey, verify } from 'node:crypto';

/**
 * Signed callbacks: the platform's webhooks to merchants and its MSS_Notification calls to APs carry
 *   X-MSSP-Signature: t=<unix seconds>,alg=ES256,keyid=<id>,sig=<base64 DER ECDSA>
 * over the bytes `<t>.<body>`, made with one key in the HSM (the CLI wires the signer; src/api never touches key
 * material). The receiver checks the signature with the key published at /mps/v1/callback-key.pem and refuses
 * an old `t`, so a captured callback cannot be replayed later.
 */

export const SIGNATURE_HEADER = 'x-mssp-signature';

export interface CallbackSigner {
  readonly algorithm: 'ES256';
  /** SubjectPublicKeyInfo DER of the signing key. */
  readonly publicKey: Buffer;
  /** DER ECDSA over SHA-256 of `data`. */
  sign(data: Buffer): Promise<Buffer>;
}

/** The key id: the first 16 bytes of the SHA-256 of the SPKI, hex. */
export function callbackKeyId(publicKey: Buffer): string {
  return createHash('sha256').update(publicKey).digest('hex').slice(0, 32);
}

export function callbackKeyPem(publicKey: Buffer): string {
  const b64 = publicKey.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
}

export function signedPayload(t: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${t}.`, 'utf8'), body]);
}

export async function signatureHeader(signer: CallbackSigner, body: Buffer, now: Date = new Date()): Promise<string> {
  const t = Math.floor(now.getTime() / 1000);
  const sig = await signer.sign(signedPayload(t, body));
  return `t=${t},alg=${signer.algorithm},keyid=${callbackKeyId(signer.publicKey)},sig=${sig.toString('base64')}`;
}

/** What a receiver runs (and the tests, beside openssl): the header's signature over `<t>.<body>` with the public key. */
export function verifySignatureHeader(header: string, body: Buffer, publicKey: Buffer, options: { now?: Date; toleranceSeconds?: number } = {}): boolean {
  const fields = new Map(header.split(',').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)]));
  const t = Number(fields.get('t'));
  const sig = fields.get('sig');
  if (!Number.isSafeInteger(t) || sig === undefined || fields.get('alg') !== 'ES256' || fields.get('keyid') !== callbackKeyId(publicKey)) return false;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  try {
    return verify('sha256', signedPayload(t, body), createPublicKey({ key: publicKey, format: 'der', type: 'spki' }), Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}
