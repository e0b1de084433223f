import type { CcAlgorithm, CipherAlgorithm, OtaCrypto, OtaKeyRef } from '../ota';
import { OtaError } from '../ota';

/**
 * The platform's OtaCrypto: each SIM's KIc and KID are AES keys in the platform HSM (DESIGN.md: keys never
 * leave a token), found by label and used in place. src/channel may not import src/hsm, so the HSM comes in
 * through this narrow shape; `Hsm` from src/hsm fits it as it is.
 */
export interface AesKeyDevice<K> {
  findKey(query: { readonly class: 'secretKey'; readonly label: string }): Promise<K>;
  aesCbc(key: K, direction: 'encrypt' | 'decrypt', iv: Uint8Array, data: Uint8Array): Promise<Buffer>;
  /** The full 16-octet AES-CMAC. */
  aesCmac(key: K, data: Uint8Array): Promise<Buffer>;
}

/** Label of a SIM's OTA key in the platform HSM: `ota/<sim>/<KIc|KID>/<version>`. */
export function otaKeyLabel(ref: OtaKeyRef): string {
  return `ota/${ref.sim}/${ref.key}/${ref.version}`;
}

/**
 * OtaCrypto over AES keys in a device. Key handles are looked up once per label and kept; `known` handles
 * (from the import at personalisation) skip the lookup: SoftHSM2 finds a label among 2,000 objects in ~18 ms.
 * AES only: a SIM personalised for 3DES would need DES3 keys in the HSM, which this adapter refuses
 * (KEY_UNAVAILABLE).
 */
export function deviceOtaCrypto<K>(device: AesKeyDevice<K>, labelOf: (ref: OtaKeyRef) => string = otaKeyLabel, known?: ReadonlyMap<string, K>): OtaCrypto {
  const handles = new Map<string, Promise<K>>();
  for (const [label, key] of known ?? []) handles.set(label, Promise.resolve(key));
  const keyFor = (ref: OtaKeyRef): Promise<K> => {
    const label = labelOf(ref);
    let found = handles.get(label);
    if (found === undefined) {
      found = device.findKey({ class: 'secretKey', label }).catch((err: unknown) => {
        handles.delete(label);
        throw new OtaError('KEY_UNAVAILABLE', 'no such OTA key in the HSM', { key: ref.key, version: ref.version }, { cause: err });
      });
      handles.set(label, found);
    }
    return found;
  };
  return {
    async cipher(ref, direction, algorithm: CipherAlgorithm, iv, data) {
      if (algorithm !== 'AES-CBC') throw new OtaError('KEY_UNAVAILABLE', 'only AES OTA keys are held in the HSM', { key: ref.key, version: ref.version });
      return device.aesCbc(await keyFor(ref), direction, iv, data);
    },
    async checksum(ref, algorithm: CcAlgorithm, data, length) {
      if (algorithm !== 'AES-CMAC') throw new OtaError('KEY_UNAVAILABLE', 'only AES OTA keys are held in the HSM', { key: ref.key, version: ref.version });
      if (!Number.isInteger(length) || length < 1 || length > 16) throw new OtaError('INVALID_ARGUMENT', 'checksum length out of range', { length });
      return (await device.aesCmac(await keyFor(ref), data)).subarray(0, length);
    },
  };
}
