import { SoapProtocolFault, readSoapRequest } from '../src/api/soap/envelope';
import { soapEnvelope } from '../src/api/soap/serialize';
import { readRequest } from '../src/mss/messages/read';
import type { MssRequest } from '../src/mss/messages/types';
import { MssFault } from '../src/mss/status';
import { prng } from './lib/prng';

/**
 * Fuzz target for the SOAP request path: mutated TS 102 204 envelopes through the safe XML reader, the envelope
 * checks and the one validation. Allowed outcomes are a read request, an MssFault or a SoapProtocolFault; any
 * other throw is a crash, an input taking longer than HANG_MS a hang (the path is synchronous).
 *
 *   node -r @swc-node/register fuzz/soap-request.ts [iterations] [seed]
 *
 * prints one JSON line {"fuzz":"soap-request","iterations":…,"crashes":…,"hangs":…,"ms":…,"seed":…}.
 */

const HANG_MS = 1_000;

export interface FuzzReport {
  readonly fuzz: 'soap-request';
  readonly iterations: number;
  readonly crashes: number;
  readonly hangs: number;
  readonly ms: number;
  readonly seed: number;
}

export interface FuzzFinding {
  readonly kind: 'crash' | 'hang';
  readonly input: string;
  readonly error: string;
}


const header = (apTransId: string): Omit<MssRequest, 'kind'> & { kind?: never } =>
  ({
    majorVersion: 1,
    minorVersion: 1,
    apInfo: { apId: 'http://ap.example', apTransId, apPwd: 'pw', instant: new Date('2026-01-01T00:00:00Z'), apUrl: 'http://ap.example/notify' },
    msspInfo: { msspId: { uri: 'http://mssp.example' } },
  }) as Omit<MssRequest, 'kind'> & { kind?: never };

const SEEDS: readonly string[] = (
  [
    {
      ...header('A1'),
      kind: 'MSS_SignatureReq',
      mobileUser: { msisdn: '+35840000001' },
      dataToBeSigned: { value: 'data & <more>', mimeType: 'text/plain', encoding: 'UTF-8' },
      dataToBeDisplayed: { value: 'shown' },
      signatureProfile: { mssUri: 'http://p/sign', digestAlgAndValue: { digestMethod: 'http://d', digestValue: 'AAEC' } },
      additionalServices: [{ mssUri: 'http://uri.etsi.org/TS102204/v1.1.2#validate' }],
      mssFormat: { mssUri: 'http://uri.etsi.org/TS102204/v1.1.2#PKCS7' },
      signatureProfileComparison: 'exact',
      timeOut: 60,
      messagingMode: 'asynchClientServer',
    },
    { ...header('A2'), kind: 'MSS_StatusReq', msspTransId: 'T1' },
    { ...header('A3'), kind: 'MSS_ReceiptReq', msspTransId: 'T1', mobileUser: { msisdn: '+3584' + '0000002' }, status: { code: 100 }, message: { value: 'ok' } },
    { ...header('A4'), kind: 'MSS_ProfileReq', mobileUser: { msisdn: '+35840000003' } },
    { ...header('A5'), kind: 'MSS_RegistrationReq', mobileUser: { msisdn: '+35840000004' }, x509Certificate: 'AAEC' },
    {
      ...header('A6'),
      kind: 'MSS_HandshakeReq',
      secureMethods: { MSS_Signature: true, MSS_Registration: false, MSS_Notification: true, MSS_ProfileQuery: true, MSS_Receipt: true, MSS_Status: true },
      certificates: ['AAEC'],
      rootCaDns: ['CN=R'],
      signatureAlgorithms: [{ mssUri: 'http://alg' }],
    },
  ] as MssRequest[]
).map((r) => soapEnvelope(r.kind.replace(/Req$/, ''), r));

const TOKENS = [
  '<', '>', '/>', '</', '"', "'", '=', '&', ';', '&amp;', '&lt;', '&#0;', '&#x10FFFF;', '&#xD800;', '&xxe;', '<![CDATA[', ']]>', '<!--', '-->',
  '<!DOCTYPE x [<!ENTITY e "e">]>', '<?pi x?>', 'xmlns=""', 'xmlns:mss="urn:x"', 'xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"',
  '<mss:MSISDN>', '</mss:MSISDN>', '<mss:AP_Info/>', 'MajorVersion="2"', 'TimeOut="-1"', 'MessagingMode="x"', '\u0000', '\uFFFE', '\uD800',
  ' env:mustUnderstand="1"', '<a>'.repeat(40), 'é', '\r\n', 'Instant="2026-13-45T99:99:99Z"',
];

function mutate(input: string, rand: () => number): string {
  let s = input;
  const rounds = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < rounds; i += 1) {
    const at = Math.floor(rand() * (s.length + 1));
    switch (Math.floor(rand() * 7)) {
      case 0: // flip a character
        s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + s.slice(at + 1);
        break;
      case 1: // insert a token
        s = s.slice(0, at) + (TOKENS[Math.floor(rand() * TOKENS.length)] ?? '') + s.slice(at);
        break;
      case 2: // delete a range
        s = s.slice(0, at) + s.slice(at + Math.floor(rand() * 40));
        break;
      case 3: {
        // duplicate a range
        const len = Math.floor(rand() * 200);
        s = s.slice(0, at + len) + s.slice(at, at + len) + s.slice(at + len);
        break;
      }
      case 4: {
        // splice in part of another seed
        const other = SEEDS[Math.floor(rand() * SEEDS.length)] ?? '';
        const from = Math.floor(rand() * other.length);
        s = s.slice(0, at) + other.slice(from, from + Math.floor(rand() * 300)) + s.slice(at);
        break;
      }
      case 5: // truncate
        s = s.slice(0, at);
        break;
      default: // replace an attribute value
        s = s.replace(/="[^"]*"/, `="${TOKENS[Math.floor(rand() * TOKENS.length)] ?? ''}"`);
    }
  }
  return s;
}

function runOne(input: string | Buffer): string {
  try {
    const soap = readSoapRequest(input);
    return `ok:${readRequest(soap.kind, soap.message).kind}`;
  } catch (err) {
    if (err instanceof MssFault) return `fault:${err.code}`;
    if (err instanceof SoapProtocolFault) return `soap:${err.code}`;
    throw err;
  }
}

export function fuzzSoapRequests(iterations: number, seed: number, findings: FuzzFinding[], results = new Map<string, number>()): FuzzReport {
  const rand = prng(seed);
  const started = Date.now();
  let crashes = 0;
  let hangs = 0;
  for (let i = 0; i < iterations; i += 1) {
    const base = SEEDS[Math.floor(rand() * SEEDS.length)] ?? '';
    const text = mutate(base, rand);
    // Every eighth input goes in as bytes with a random byte flipped, so invalid UTF-8 is covered too.
    const input: string | Buffer = i % 8 === 0 ? Buffer.from(text) : text;
    if (Buffer.isBuffer(input) && input.length > 0) input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
    const t0 = Date.now();
    let error: unknown;
    try {
      const outcome = runOne(input);
      results.set(outcome, (results.get(outcome) ?? 0) + 1);
    } catch (err) {
      error = err ?? new Error('undefined thrown');
      crashes += 1;
    }
    const hung = Date.now() - t0 > HANG_MS;
    if (hung) hangs += 1;
    if ((hung || error !== undefined) && findings.length < 20) {
      findings.push({
        kind: hung ? 'hang' : 'crash',
        input: Buffer.isBuffer(input) ? input.toString('base64') : input,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  }
  return { fuzz: 'soap-request', iterations, crashes, hangs, ms: Date.now() - started, seed };
}

if (require.main === module) {
  const iterations = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? Date.now() % 0x7fffffff);
  const findings: FuzzFinding[] = [];
  const results = new Map<string, number>();
  const report = fuzzSoapRequests(iterations, seed, findings, results);
  for (const f of findings) process.stderr.write(`${JSON.stringify(f)}\n`);
  process.stderr.write(`${JSON.stringify({ results: Object.fromEntries([...results].sort(([a], [b]) => a.localeCompare(b))) })}\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = report.crashes > 0 || report.hangs > 0 ? 1 : 0;
}
