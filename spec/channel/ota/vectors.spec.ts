import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeGsm7, encodeGsm7 } from '../../../src/channel/applet/gsm7';
import {
  aesCmac,
  buildCommandPacket,
  buildResponsePacket,
  cmacSubkeys,
  decodeKic,
  decodeKid,
  decodeSpi,
  isOtaError,
  openResponse,
  receiveCommand,
  redundancyCheck,
  resolveSecurity,
  softwareOtaCrypto,
  type OtaCrypto,
  type PorStatusName,
  type RcAlgorithm,
} from '../../../src/channel/ota';
import { silentLog } from './support';

/**
 * The one runner for every vector file under fixtures/ota (STYLE.md example 8): each file names its kind,
 * each vector its source and section; a new file of a known kind needs no code.
 */

const dir = resolve(__dirname, '../../../fixtures/ota');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const h = (s: string): Buffer => Buffer.from(s, 'hex');

interface Keyset {
  readonly kic: string;
  readonly kid: string;
}

interface PacketVector {
  readonly id: string;
  readonly section: string;
  readonly keyset: string;
  readonly tar: string;
  readonly counter: string;
  readonly spi: string;
  readonly kic: string;
  readonly kid: string;
}

interface CommandVector extends PacketVector {
  readonly payload: string;
  readonly packet: string;
}

interface ResponseVector extends PacketVector {
  readonly cardOutput: boolean;
  readonly userData: string;
  readonly status?: PorStatusName;
  readonly secured?: boolean;
  readonly data?: string;
  readonly error?: string;
}

const SIM = 'vector-sim';

function cryptoFor(keysets: Readonly<Record<string, Keyset>>, v: PacketVector): OtaCrypto {
  const ks = keysets[v.keyset];
  if (ks === undefined) throw new Error(`vector ${v.id} names unknown keyset ${v.keyset}`);
  return softwareOtaCrypto([
    { ref: { sim: SIM, key: 'KIc', version: h(v.kic)[0]! >> 4 }, secret: h(ks.kic) },
    { ref: { sim: SIM, key: 'KID', version: h(v.kid)[0]! >> 4 }, secret: h(ks.kid) },
  ]);
}

function header(v: PacketVector) {
  const spiBytes = h(v.spi);
  const spi = decodeSpi(spiBytes[0]!, spiBytes[1]!);
  const kicByte = h(v.kic)[0]!;
  const kidByte = h(v.kid)[0]!;
  return { spi, kicByte, kidByte, kic: decodeKic(kicByte), kid: decodeKid(kidByte, spi.checksum === 'rc' ? 'rc' : 'cc') };
}

const runners: Record<string, (file: Record<string, unknown>) => void> = {
  'secured-packet': (file) => {
    const keysets = file.keysets as Record<string, Keyset>;
    describe('command packets', () => {
      test.each((file.commands as CommandVector[]).map((v) => [`${v.id} (${v.section})`, v] as const))('%s', async (_name, v) => {
        const crypto = cryptoFor(keysets, v);
        const { spi, kic, kid } = header(v);
        const built = await buildCommandPacket({ sim: SIM, spi, kic, kid, tar: h(v.tar), counter: BigInt(v.counter), payload: h(v.payload) }, crypto);
        expect(built.packet.toString('hex')).toBe(v.packet);
        expect(built.userData.map((u) => u.toString('hex'))).toEqual([`027000${v.packet}`]);
        const outcome = await receiveCommand(built.userData, {
          sim: SIM,
          crypto,
          log: silentLog(),
          lookupTar: () => ({ minimumSecurity: { checksum: 'none', ciphered: false, counter: 'none' }, counter: 0n }),
        });
        expect(outcome).toMatchObject({ ok: true, status: 'por-ok' });
        if (outcome.ok) expect(outcome.payload.toString('hex')).toBe(v.payload);
      });
    });
    describe('response packets', () => {
      test.each((file.responses as ResponseVector[]).map((v) => [`${v.id} (${v.section})`, v] as const))('%s', async (_name, v) => {
        const crypto = cryptoFor(keysets, v);
        const { spi, kic, kid, kicByte, kidByte } = header(v);
        const expectation = { sim: SIM, spi, kic, kid, tar: h(v.tar), counter: BigInt(v.counter) };
        if (v.error !== undefined) {
          const err: unknown = await openResponse([h(v.userData)], expectation, crypto, silentLog()).catch((e: unknown) => e);
          expect(isOtaError(err) && err.code).toBe(v.error);
          return;
        }
        const por = await openResponse([h(v.userData)], expectation, crypto, silentLog());
        expect({ status: por.status, secured: por.secured, data: por.data.toString('hex') }).toEqual({ status: v.status, secured: v.secured, data: v.data });
        if (v.cardOutput && v.status !== undefined) {
          // Our builder reproduces the card's own bytes: same layout, padding and checksum coverage.
          const sec = resolveSecurity(SIM, spi, kicByte, kidByte);
          const rebuilt = await buildResponsePacket({ tar: h(v.tar), counter: BigInt(v.counter), status: v.status, data: h(v.data ?? ''), cipher: sec.porCipher, check: sec.porCheck }, crypto);
          expect(rebuilt.userData.map((u) => u.toString('hex'))).toEqual([v.userData]);
        }
      });
    });
  },
  'aes-cmac': (file) => {
    const message = h(file.message as string);
    const subkeys = file.subkeys as { id: string; section: string; key: string; k1: string; k2: string }[];
    const vectors = file.vectors as { id: string; section: string; key: string; length: number; tag: string }[];
    test.each(subkeys.map((v) => [`${v.id} (${v.section})`, v] as const))('%s', (_name, v) => {
      const { k1, k2 } = cmacSubkeys(h(v.key));
      expect([k1.toString('hex'), k2.toString('hex')]).toEqual([v.k1, v.k2]);
    });
    test.each(vectors.map((v) => [`${v.id} (${v.section})`, v] as const))('%s', (_name, v) => {
      expect(aesCmac(h(v.key), message.subarray(0, v.length)).toString('hex')).toBe(v.tag);
    });
  },
  'redundancy-check': (file) => {
    const vectors = file.vectors as { id: string; section: string; algorithm: RcAlgorithm; input: string; rc: string }[];
    test.each(vectors.map((v) => [`${v.id} (${v.section})`, v] as const))('%s', (_name, v) => {
      expect(redundancyCheck(v.algorithm, h(v.input)).toString('hex')).toBe(v.rc);
    });
  },
  gsm7: (file) => {
    const vectors = file.vectors as { id: string; section: string; text: string; septets: number; packed: string }[];
    test.each(vectors.map((v) => [`${v.id} (${v.section})`, v] as const))('%s', (_name, v) => {
      const encoded = encodeGsm7(v.text);
      expect({ septets: encoded.septets, packed: encoded.packed.toString('hex') }).toEqual({ septets: v.septets, packed: v.packed });
      expect(decodeGsm7(h(v.packed), v.septets)).toBe(v.text);
    });
  },
};

describe.each(files)('fixtures/ota/%s', (name) => {
  const file = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
  const run = runners[String(file.kind)];
  if (run === undefined) {
    test('has a known kind', () => {
      throw new Error(`unknown vector kind ${String(file.kind)}`);
    });
    return;
  }
  run(file);
});
