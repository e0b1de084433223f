import { KeyAmbiguousError, KeyNotFoundError, type Hsm, type HsmKeyPair } from '../hsm';
import { isStoreError, type KeysRepository } from '../store';
import { keyIdOf, verifyCheckpointSignature } from './checkpoint';
import { AuditError } from './errors';

/**
 * Who signs checkpoints. In the platform: the ES256 key labelled `audit` in the platform token, made on first
 * use unless the CA's `mssp ca init` made it already (the label is how the two find the same key). The public
 * key goes into every checkpoint row, so the log verifies from the rows and a trusted copy of that key.
 */

export const AUDIT_KEY_LABEL = 'audit';
export const AUDIT_KEY_PURPOSE = 'audit';

export interface CheckpointSigner {
  readonly algorithm: 'ES256';
  /** SubjectPublicKeyInfo DER. */
  readonly publicKey: Buffer;
  /** SHA-256 of publicKey. */
  readonly keyId: Buffer;
  /** DER ECDSA signature over `data` (SHA-256 inside). */
  sign(data: Buffer): Promise<Buffer>;
}

export interface AuditSignerOptions {
  readonly label?: string;
  /** Make the key pair when the token has none. Default true. */
  readonly create?: boolean;
  /** The store's key inventory: a key made here is recorded there (purpose 'audit'). */
  readonly keys?: KeysRepository;
}

async function findOrCreate(hsm: Hsm, label: string, create: boolean): Promise<{ pair: HsmKeyPair; created: boolean }> {
  try {
    return { pair: await hsm.findKeyPair({ label }), created: false };
  } catch (err) {
    if (err instanceof KeyAmbiguousError) throw new AuditError('KEY_PROBLEM', `the token holds more than one key labelled "${label}"`, { cause: err });
    if (!(err instanceof KeyNotFoundError)) throw err;
    if (!create) throw new AuditError('KEY_PROBLEM', `the token has no audit key labelled "${label}"`, { cause: err });
    return { pair: await hsm.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label }), created: true };
  }
}

async function recordInInventory(keys: KeysRepository, hsm: Hsm, pair: HsmKeyPair, label: string): Promise<void> {
  if ((await keys.findByLabel(label)) !== undefined) return;
  try {
    await keys.add({ label, pkcs11Id: pair.privateKey.id, algorithm: 'P-256', purpose: AUDIT_KEY_PURPOSE, tokenLabel: hsm.tokenLabel });
  } catch (err) {
    // Another process recorded it at the same moment.
    if (!isStoreError(err, 'UNIQUE_VIOLATION')) throw err;
  }
}

/** The checkpoint signer on the audit key in `hsm`; `created` says whether the key pair was made now. */
export async function openAuditSigner(hsm: Hsm, options: AuditSignerOptions = {}): Promise<{ signer: CheckpointSigner; created: boolean }> {
  const label = options.label ?? AUDIT_KEY_LABEL;
  const { pair, created } = await findOrCreate(hsm, label, options.create ?? true);
  if (pair.privateKey.keyType !== 'EC' || pair.privateKey.curve !== 'P-256') {
    throw new AuditError('KEY_PROBLEM', `the key labelled "${label}" is not an EC P-256 key (checkpoints are ES256)`);
  }
  const publicKey = await hsm.publicKeySpki(pair.privateKey);
  if (options.keys !== undefined && pair.privateKey.id !== '') await recordInInventory(options.keys, hsm, pair, label);
  const signer: CheckpointSigner = {
    algorithm: 'ES256',
    publicKey,
    keyId: keyIdOf(publicKey),
    async sign(data) {
      const signature = await hsm.sign('ES256', pair.privateKey, data);
      // Checked in software as an auditor will check it: a token fault must not produce a checkpoint nobody can verify.
      if (!verifyCheckpointSignature(publicKey, data, signature)) {
        throw new AuditError('KEY_PROBLEM', `the signature made with the key labelled "${label}" does not verify with its public key`);
      }
      return signature;
    },
  };
  return { signer, created };
}

/** The audit public key (SPKI DER) of the token, without making one; undefined when there is none. */
export async function auditPublicKey(hsm: Hsm, label = AUDIT_KEY_LABEL): Promise<Buffer | undefined> {
  try {
    const pair = await hsm.findKeyPair({ label });
    return await hsm.publicKeySpki(pair.privateKey);
  } catch (err) {
    if (err instanceof KeyNotFoundError) return undefined;
    throw err;
  }
}
