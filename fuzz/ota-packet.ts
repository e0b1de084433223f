import { createHash } from 'node:crypto';
import { createLogger } from '../src/log';
import {
  answerCommand,
  buildCommandPacket,
  buildResponsePacket,
  isOtaError,
  openResponse,
  receiveCommand,
  resolveSecurity,
  softwareOtaCrypto,
  encodeKic,
  encodeKid,
  type CipherAlgorithm,
  type Kic,
  type Kid,
  type OtaCrypto,
  type PorExpectation,
  type SimOtaContext,
  type Spi,
} from '../src/channel/ota';
import { prng } from './lib/prng';

/**
 * Fuzz target for the OTA codec: mutated secured packets into the SIM-side command parser (then into the PoR
 * it answers with) and into the platform-side PoR parser. A crash is anything thrown that is not an OtaError
 * (the SIM side may not throw at all); a hang is an input that takes longer than HANG_MS.
 *
 *   node -r @swc-node/register fuzz/ota-packet.ts [iterations] [seed]
 *
 * prints one JSON line {"fuzz":"ota-packet","iterations":…,"crashes":…,"hangs":…,"ms":…} and exits non-zero
 * on any crash or hang. Software keys here are test keys derived from the seed.
 */

const HANG_MS = 2_000;
const SIM = 'fuzz-sim';
const TAR = Buffer.from('c00001', 'hex');

export interface FuzzReport {
  readonly fuzz: 'ota-packet';
  readonly iterations: number;
  readonly crashes: number;
  readonly hangs: number;
  readonly ms: number;
  readonly seed: number;
}

export interface FuzzFinding {
  readonly kind: 'crash' | 'hang';
  readonly target: 'command' | 'response';
  readonly input: string[];
  readonly error: string;
}


interface Seed {
  readonly target: 'command' | 'response';
  readonly userData: Buffer[];
  readonly expectation: PorExpectation;
  readonly crypto: OtaCrypto;
  readonly ctx: SimOtaContext;
}

function key(seed: number, label: string, length: number): Buffer {
  return createHash('sha512').update(`${seed}:${label}`).digest().subarray(0, length);
}

const ALGORITHMS: readonly { readonly cipher: CipherAlgorithm; readonly keyLength: number }[] = [
  { cipher: 'AES-CBC', keyLength: 16 },
  { cipher: 'AES-CBC', keyLength: 32 },
  { cipher: '3DES-2KEY-CBC', keyLength: 16 },
  { cipher: '3DES-3KEY-CBC', keyLength: 24 },
];

const SPIS: readonly Spi[] = [
  { checksum: 'cc', ciphered: true, counter: 'higher', por: 'always', porChecksum: 'cc', porCiphered: true, porTransport: 'sms-deliver-report' },
  { checksum: 'cc', ciphered: false, counter: 'one-higher', por: 'on-error', porChecksum: 'cc', porCiphered: false, porTransport: 'sms-submit' },
  { checksum: 'rc', ciphered: true, counter: 'no-check', por: 'always', porChecksum: 'rc', porCiphered: true, porTransport: 'sms-deliver-report' },
  { checksum: 'none', ciphered: false, counter: 'higher', por: 'always', porChecksum: 'none', porCiphered: false, porTransport: 'sms-deliver-report' },
  { checksum: 'none', ciphered: true, counter: 'none', por: 'always', porChecksum: 'none', porCiphered: true, porTransport: 'sms-submit' },
];

async function seeds(seed: number): Promise<Seed[]> {
  const out: Seed[] = [];
  let n = 0;
  for (const alg of ALGORITHMS) {
    const mac = alg.cipher === 'AES-CBC' ? 'AES-CMAC' : alg.cipher === '3DES-2KEY-CBC' ? '3DES-2KEY-MAC' : '3DES-3KEY-MAC';
    const crypto = softwareOtaCrypto([
      { ref: { sim: SIM, key: 'KIc', version: 1 }, secret: key(seed, `${alg.cipher}${alg.keyLength}kic`, alg.keyLength) },
      { ref: { sim: SIM, key: 'KID', version: 1 }, secret: key(seed, `${alg.cipher}${alg.keyLength}kid`, alg.keyLength) },
    ]);
    const kic: Kic = { algorithm: alg.cipher, keyVersion: 1 };
    for (const spi of SPIS) {
      const kid: Kid = { algorithm: spi.checksum === 'rc' ? 'CRC32' : mac, keyVersion: 1 };
      const ctx: SimOtaContext = {
        sim: SIM,
        crypto,
        log: createLogger({ level: 'silent' }),
        lookupTar: (tar) => (tar.equals(TAR) ? { minimumSecurity: { checksum: 'none', ciphered: false, counter: 'none' }, counter: 5n, maxCounterStep: 100n } : undefined),
      };
      for (const size of [0, 7, 60, 300]) {
        n += 1;
        const payload = key(seed, `payload${n}`, 64).subarray(0, Math.min(size, 64));
        const big = Buffer.concat(Array.from({ length: Math.ceil(size / 64) }, () => payload)).subarray(0, size);
        const counter = 6n;
        const expectation: PorExpectation = { sim: SIM, spi, kic, kid, tar: TAR, counter };
        const cmd = await buildCommandPacket({ sim: SIM, spi, kic, kid, tar: TAR, counter, payload: big, concatRef: n & 0xff }, crypto);
        out.push({ target: 'command', userData: cmd.userData, expectation, crypto, ctx });
        const sec = resolveSecurity(SIM, spi, encodeKic(kic), encodeKid(kid));
        const por = await buildResponsePacket({ tar: TAR, counter, status: 'por-ok', data: big, cipher: sec.porCipher, check: sec.porCheck, concatRef: n & 0xff }, crypto);
        out.push({ target: 'response', userData: por.userData, expectation, crypto, ctx });
        const errPor = await buildResponsePacket({ tar: TAR, counter, status: 'tar-unknown' }, crypto);
        out.push({ target: 'response', userData: errPor.userData, expectation, crypto, ctx });
      }
    }
  }
  return out;
}

const INTERESTING = [0x00, 0x01, 0x02, 0x07, 0x08, 0x0d, 0x0f, 0x10, 0x70, 0x71, 0x7f, 0x80, 0x81, 0x8b, 0xfe, 0xff];

function mutate(input: Buffer, rnd: () => number, other: Buffer): Buffer {
  let b = Buffer.from(input);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const rounds = 1 + pick(6);
  // Most mutations land after the UDH: a broken UDH stops parsing at the first check, the packet is where the depth is.
  const udhEnd = Math.min(b.length, 1 + (b[0] ?? 0));
  const keepUdh = rnd() < 0.85;
  for (let i = 0; i < rounds; i += 1) {
    const from = keepUdh ? Math.min(udhEnd, b.length) : 0;
    const at = b.length <= from ? b.length : from + pick(b.length - from);
    switch (pick(10)) {
      case 0:
        if (b.length > 0) b[at] = (b[at] ?? 0) ^ (1 << pick(8));
        break;
      case 1:
        if (b.length > 0) b[at] = pick(256);
        break;
      case 2:
        if (b.length > 0) b[at] = INTERESTING[pick(INTERESTING.length)] ?? 0;
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(16) }, () => pick(256))), b.subarray(at)]);
        break;
      case 4:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + pick(16))]);
        break;
      case 5:
        b = b.subarray(0, pick(b.length + 1));
        break;
      case 6:
        b = Buffer.concat([b, b.subarray(at, at + 1 + pick(32))]);
        break;
      case 7:
        b = Buffer.concat([b.subarray(0, at), other.subarray(pick(other.length + 1))]);
        break;
      case 8:
        fixLength(b);
        break;
      default:
        if (b.length > 0) b[at] = ((b[at] ?? 0) + (pick(2) === 0 ? 1 : 0xff)) & 0xff;
    }
  }
  // Half the time the inner CPL/RPL is made to agree with the new length, so mutations get past the length check.
  if (rnd() < 0.5) fixLength(b);
  return b;
}

/** Keeps the UDH and sets CPL/RPL (the two octets after it) to the length of a single-SM packet. */
function fixLength(b: Buffer): void {
  const start = 1 + (b[0] ?? 0);
  if (b.length >= start + 2) b.writeUInt16BE(Math.min(0xffff, b.length - start - 2), start);
}

function withTimeout<T>(p: Promise<T>): Promise<{ readonly value?: T; readonly hung: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ hung: boolean }>((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), HANG_MS);
  });
  return Promise.race([p.then((value) => ({ value, hung: false })), timeout]).finally(() => clearTimeout(timer));
}

const SILENT = createLogger({ level: 'silent' });

/** Returns what the input led to ("command:cntr-low", "response:MALFORMED"), to show how deep mutations reach. */
async function runOne(s: Seed, userData: Buffer[]): Promise<string> {
  if (s.target === 'command') {
    // The SIM side must never throw, and must be able to answer whatever it concluded.
    const outcome = await receiveCommand(userData, s.ctx);
    await answerCommand(outcome, s.crypto, { data: Buffer.from('9000', 'hex'), log: SILENT });
    return `command:${outcome.status}`;
  }
  try {
    const por = await openResponse(userData, s.expectation, s.crypto, SILENT);
    return `response:${por.status}`;
  } catch (err) {
    if (!isOtaError(err)) throw err;
    return `response:${err.code}`;
  }
}

export async function fuzzOtaCodec(
  iterations: number,
  seed: number,
  findings: FuzzFinding[] = [],
  /** Filled with how often each result occurred (stderr summary of the standalone run). */
  results: Map<string, number> = new Map(),
): Promise<FuzzReport> {
  const rnd = prng(seed);
  const corpus = await seeds(seed);
  let crashes = 0;
  let hangs = 0;
  const started = Date.now();
  for (let i = 0; i < iterations; i += 1) {
    const s = corpus[Math.floor(rnd() * corpus.length)];
    const donor = corpus[Math.floor(rnd() * corpus.length)];
    if (s === undefined || donor === undefined) continue;
    const segments: Buffer[] = s.userData.map((u) => Buffer.from(u));
    // Mostly one segment is mutated; sometimes segments are dropped, duplicated or reordered instead.
    const which = Math.floor(rnd() * segments.length);
    const victim = segments[which];
    if (victim !== undefined) segments[which] = mutate(victim, rnd, donor.userData[0] ?? Buffer.alloc(0));
    if (segments.length > 1 && rnd() < 0.2) {
      const j = Math.floor(rnd() * segments.length);
      const seg = segments[j];
      if (rnd() < 0.5) segments.splice(j, 1);
      else if (seg !== undefined) segments.push(seg);
      if (rnd() < 0.5) segments.reverse();
    }
    const t0 = Date.now();
    let error: unknown;
    const r = await withTimeout(
      runOne(s, segments).then(
        (result) => results.set(result, (results.get(result) ?? 0) + 1),
        (err: unknown) => {
          error = err ?? new Error('undefined thrown');
        },
      ),
    );
    const hung = r.hung || Date.now() - t0 > HANG_MS;
    if (hung) hangs += 1;
    if (error !== undefined) crashes += 1;
    if ((hung || error !== undefined) && findings.length < 20) {
      findings.push({
        kind: hung ? 'hang' : 'crash',
        target: s.target,
        input: segments.map((u) => u.toString('hex')),
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  }
  return { fuzz: 'ota-packet', iterations, crashes, hangs, ms: Date.now() - started, seed };
}

if (require.main === module) {
  const iterations = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? Date.now() % 0x7fffffff);
  const findings: FuzzFinding[] = [];
  const results = new Map<string, number>();
  fuzzOtaCodec(iterations, seed, findings, results)
    .then((report) => {
      for (const f of findings) process.stderr.write(`${JSON.stringify(f)}\n`);
      process.stderr.write(`${JSON.stringify({ results: Object.fromEntries([...results].sort(([a], [b]) => a.localeCompare(b))) })}\n`);
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exitCode = report.crashes > 0 || report.hangs > 0 ? 1 : 0;
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 2;
    });
}
