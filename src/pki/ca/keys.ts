import { KeyAmbiguousError, KeyNotFoundError, type Hsm, type HsmKeyPair, type KeyPairSpec } from '../../hsm';
import type { KeyAlgorithm, KeysRepository } from '../../store';
import { CaError } from './errors';

/**
 * The platform's PKI keys: their labels in the token (how the CA, the OCSP responder, the TSA and the audit
 * log find the same key) and the key types a CA key may have.
 */
export const PKI_KEY_LABELS = {
  root: 'ca-root',
  issuing: 'ca-issuing',
  ocspResponder: 'ocsp-responder',
  tsa: 'tsa',
  // The audit log (src/audit) uses the same label and makes the key itself when `mssp ca init` has not.
  audit: 'audit',
} as const;

/**
 * Key types for CA and service keys. P-256 is the default everywhere: 128-bit security like RSA-3072, but
 * 64-byte signatures and 91-byte public keys (chains travel to SIMs over SMS), ~25,000 signatures/s in
 * SoftHSM2 against ~1,000 for RSA-3072 (the OCSP responder signs per request), and what the citizens' SIM
 * tokens use. RSA-3072 is there for relying parties that cannot verify ECDSA.
 */
export const CA_KEY_CHOICES = ['P-256', 'P-384', 'RSA-3072'] as const;
export type CaKeyChoice = (typeof CA_KEY_CHOICES)[number];

export function isCaKeyChoice(value: string): value is CaKeyChoice {
  return (CA_KEY_CHOICES as readonly string[]).includes(value);
}

export function keySpecFor(choice: CaKeyChoice): KeyPairSpec {
  if (choice === 'RSA-3072') return { type: 'RSA', modulusBits: 3072 };
  return { type: 'EC', curve: choice };
}

function choiceOf(pair: HsmKeyPair): KeyAlgorithm {
  const key = pair.privateKey;
  if (key.keyType === 'EC' && (key.curve === 'P-256' || key.curve === 'P-384')) return key.curve;
  if (key.keyType === 'RSA' && (key.bits === 2048 || key.bits === 3072)) return key.bits === 2048 ? 'RSA-2048' : 'RSA-3072';
  throw new CaError('KEY_PROBLEM', `the key "${key.label}" is ${key.keyType}${key.curve ? ` ${key.curve}` : ` ${key.bits} bits`}, which the CA does not use`);
}

export interface PreparedKey {
  readonly pair: HsmKeyPair;
  readonly algorithm: KeyAlgorithm;
  /** False when the token already held a key with this label (an interrupted init, or the audit log's key). */
  readonly created: boolean;
}

/** The key pair labelled `label`, made with `choice` when the token has none. */
export async function findOrCreateKey(hsm: Hsm, label: string, choice: CaKeyChoice): Promise<PreparedKey> {
  try {
    const pair = await hsm.findKeyPair({ label });
    return { pair, algorithm: choiceOf(pair), created: false };
  } catch (err) {
    if (err instanceof KeyAmbiguousError) throw new CaError('KEY_PROBLEM', `token "${hsm.tokenLabel}" holds more than one key labelled "${label}"`, { cause: err });
    if (!(err instanceof KeyNotFoundError)) throw err;
  }
  const pair = await hsm.generateKeyPair(keySpecFor(choice), { label });
  return { pair, algorithm: choiceOf(pair), created: true };
}

/** Adds the key to the store's inventory unless it is there already. */
export async function recordKey(keys: KeysRepository, tokenLabel: string, label: string, prepared: PreparedKey, purpose: string): Promise<void> {
  if (prepared.pair.privateKey.id === '' || (await keys.findByLabel(label)) !== undefined) return;
  await keys.add({ label, pkcs11Id: prepared.pair.privateKey.id, algorithm: prepared.algorithm, purpose, tokenLabel });
}
