import { constants, createHash, createPublicKey, publicEncrypt } from 'node:crypto';
import { PERSONALISATION_FORMAT } from '../../src/channel/sim';
import type { SimRecord } from './sim-set';

/**
 * What a card personaliser's desk does for simulated SIMs: each SIM's OTA keys encrypted with RSA-OAEP under the
 * platform's transport public key (`mssp sim transport-key`), one JSON line per SIM in the format of
 * src/channel/sim/PERSONALISATION.md, for `mssp sim import`. The clear keys are the SIM set's own (sims.json is
 * test material, as the SIM tokens are); the file carries them only wrapped.
 */
export function personalisationLines(records: readonly SimRecord[], transportKeyPem: string, hash: 'SHA-1' | 'SHA-256' = 'SHA-1'): string[] {
  const key = createPublicKey(transportKeyPem);
  if (key.asymmetricKeyType !== 'rsa') throw new Error('the transport key must be an RSA public key');
  const spki = key.export({ type: 'spki', format: 'der' });
  const transportKey = createHash('sha256').update(spki).digest('hex');
  const wrap = (hex: string): string =>
    publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash === 'SHA-1' ? 'sha1' : 'sha256' }, Buffer.from(hex, 'hex')).toString('base64');
  return records.map((r) =>
    JSON.stringify({
      format: PERSONALISATION_FORMAT,
      msisdn: r.msisdn,
      iccid: r.iccid,
      tar: r.tar,
      keyVersion: r.ota.version,
      kic: { algorithm: 'AES-CBC', bits: (r.ota.kic.length / 2) * 8, wrapped: wrap(r.ota.kic) },
      kid: { algorithm: 'AES-CMAC', bits: (r.ota.kid.length / 2) * 8, wrapped: wrap(r.ota.kid) },
      wrapping: { algorithm: 'RSA-OAEP', hash, transportKey },
    }),
  );
}
