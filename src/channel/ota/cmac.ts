import { createCipheriv } from 'node:crypto';

/**
 * AES-CMAC as NIST SP 800-38B §6 defines it (RFC 4493 is the same algorithm for AES-128), over node:crypto's
 * AES block cipher. node:crypto has no CMAC of its own; this is the software reference the HSM's
 * CKM_AES_CMAC is cross-checked against. Checked against the SP 800-38B and RFC 4493 examples
 * (fixtures/ota/cmac-vectors.json).
 */

const BLOCK = 16;
/** R_128 of SP 800-38B §5.3: the constant folded in when doubling overflows. */
const RB = 0x87;

function aesAlgorithm(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new RangeError('AES key must be 16, 24 or 32 octets');
  return `aes-${key.length * 8}-${mode}`;
}

function encryptBlocks(key: Uint8Array, data: Uint8Array): Buffer {
  // CBC with a zero IV over the whole message is the CBC-MAC chain of SP 800-38B step 6; the last block is T.
  const c = createCipheriv(aesAlgorithm(key, 'cbc'), key, Buffer.alloc(BLOCK));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** dbl() of SP 800-38B §6.1: shift left one bit, XOR R_b into the last octet when the top bit falls out. */
function double(block: Uint8Array): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i += 1) {
    const next = block[i + 1] ?? 0;
    out[i] = (((block[i] ?? 0) << 1) | (next >> 7)) & 0xff;
  }
  if (((block[0] ?? 0) & 0x80) !== 0) out[BLOCK - 1] = (out[BLOCK - 1] ?? 0) ^ RB;
  return out;
}

/** Subkeys K1, K2 (SP 800-38B §6.1). */
export function cmacSubkeys(key: Uint8Array): { readonly k1: Buffer; readonly k2: Buffer } {
  const c = createCipheriv(aesAlgorithm(key, 'ecb'), key, null);
  c.setAutoPadding(false);
  const l = Buffer.concat([c.update(Buffer.alloc(BLOCK)), c.final()]);
  const k1 = double(l);
  return { k1, k2: double(k1) };
}

/** The full 16-octet CMAC tag T (SP 800-38B §6.2); callers truncate to the leftmost octets they need. */
export function aesCmac(key: Uint8Array, message: Uint8Array): Buffer {
  const { k1, k2 } = cmacSubkeys(key);
  const blocks = Math.max(1, Math.ceil(message.length / BLOCK));
  const complete = message.length > 0 && message.length % BLOCK === 0;
  const lastStart = (blocks - 1) * BLOCK;
  const last = Buffer.alloc(BLOCK);
  Buffer.from(message.subarray(lastStart)).copy(last);
  // Step 4: a complete last block is XORed with K1; a partial one is padded 10* and XORed with K2.
  if (!complete) last[message.length - lastStart] = 0x80;
  const subkey = complete ? k1 : k2;
  for (let i = 0; i < BLOCK; i += 1) last[i] = (last[i] ?? 0) ^ (subkey[i] ?? 0);
  const chain = encryptBlocks(key, Buffer.concat([message.subarray(0, lastStart), last]));
  return chain.subarray(chain.length - BLOCK);
}
