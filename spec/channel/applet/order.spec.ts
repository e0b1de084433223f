import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { decodeClientOrder, decodeRequest, encodeClientOrder, isAppletError, type ClientOrder } from '../../../src/channel/applet';
import { encodeSpi } from '../../../src/channel/ota';
import { ORDER_SPI } from '../../../src/channel/sim';

/** FORMAT.md "Client order (type 03)": the SIM's unasked message carrying a signed payment order. */

function example(name: string): Buffer {
  const md = readFileSync(resolve(__dirname, '../../../src/channel/applet/FORMAT.md'), 'utf8');
  const m = new RegExp('```hex ' + name + '\\n([\\s\\S]*?)```').exec(md);
  return Buffer.from((m?.[1] ?? '').replace(/\s+/g, ''), 'hex');
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return isAppletError(err) ? err.code : 'not an AppletError';
  }
  return undefined;
}

const EXAMPLE: ClientOrder = { orderRef: 'A1', order: Buffer.from('mps-order/1\n'), signature: Buffer.from('3000', 'hex'), certificateRef: Buffer.alloc(32, 0x11) };

test('the example of FORMAT.md, byte for byte, both ways', () => {
  const bytes = example('order-example');
  expect(bytes.length).toBeGreaterThan(40);
  expect(encodeClientOrder(EXAMPLE).toString('hex')).toBe(bytes.toString('hex'));
  expect(decodeClientOrder(bytes)).toEqual({ ...EXAMPLE, order: Buffer.from(EXAMPLE.order), signature: Buffer.from(EXAMPLE.signature), certificateRef: Buffer.from(EXAMPLE.certificateRef) });
});

test('the SPI FORMAT.md names: 16 00 (CC, ciphered, counter higher, no PoR)', () => {
  expect(encodeSpi(ORDER_SPI).toString('hex')).toBe('1600');
});

test('decode(encode(order)) is the order, for any order', () => {
  const ref = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/);
  fc.assert(
    fc.property(ref, fc.uint8Array({ minLength: 1, maxLength: 1024 }), fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (orderRef, order, signature, certificateRef) => {
      const o = { orderRef, order: Buffer.from(order), signature: Buffer.from(signature), certificateRef: Buffer.from(certificateRef) };
      expect(decodeClientOrder(encodeClientOrder(o))).toEqual(o);
    }),
    { numRuns: 200 },
  );
});

test('refuses what FORMAT.md refuses', () => {
  const good = example('order-example');
  expect(code(() => decodeClientOrder(Buffer.concat([good, Buffer.from([0x0e, 0x00])])))).toBe('UNKNOWN_TAG');
  expect(code(() => decodeClientOrder(good.subarray(0, good.length - 1)))).toBe('TRUNCATED');
  // Without the signature field.
  expect(code(() => decodeClientOrder(Buffer.from('010301024131' + '0c2101' + '11'.repeat(32) + '0d0178', 'hex')))).toBe('MISSING_FIELD');
  // A raw signature (format 01) is not taken: the platform verifies CMS against the certificate on record.
  const raw = Buffer.from(good);
  raw[good.indexOf(Buffer.from('0b0302', 'hex')) + 2] = 0x01;
  expect(code(() => decodeClientOrder(raw))).toBe('BAD_VALUE');
  expect(code(() => decodeClientOrder(Buffer.from(good.toString('hex').replace('01024131', '01022d78'), 'hex')))).toBe('BAD_VALUE');
  expect(code(() => encodeClientOrder({ ...EXAMPLE, orderRef: 'with space' }))).toBe('BAD_VALUE');
  expect(code(() => encodeClientOrder({ ...EXAMPLE, order: Buffer.alloc(1025, 0x41) }))).toBe('BAD_VALUE');
  // A client order is not a request, nor the other way round.
  expect(code(() => decodeRequest(good))).toBe('BAD_TYPE');
  const asRequest = Buffer.from(good);
  asRequest[1] = 0x01;
  expect(code(() => decodeClientOrder(asRequest))).toBe('BAD_TYPE');
});
