import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { TimeStampResp } from '@peculiar/asn1-tsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import { parseCertificate, parseSignedData, parseTimeStampResponse, parseTstInfo, trustAnchorFromCertificate, verifySignedData, verifyTimeStampToken } from '../../../src/pki';
import { readBytes, runOpenssl } from '../support/openssl-pki';
import { TSA_POLICY, type TsaFixture, scratchFile, tsaFixture } from './support';

/**
 * OpenSSL as the independent client and verifier of our TSA: `openssl ts -query` makes the requests
 * (with and without nonce, with and without -cert, SHA-256/384/512, a policy), our TSA answers over HTTP,
 * `openssl ts -verify` accepts the tokens for the data and the query and refuses them for other data, and
 * `openssl ts -reply -text` shows our accuracy and policy.
 */
let f: TsaFixture;

beforeAll(async () => {
  f = await tsaFixture('tsa-interop');
});

afterAll(async () => {
  await f?.close();
});

interface Exchange {
  readonly data: string;
  readonly query: string;
  readonly reply: string;
  readonly replyBytes: Buffer;
}

async function exchange(queryArgs: readonly string[], content = randomBytes(500)): Promise<Exchange> {
  const data = scratchFile(f.t.dir, 'data.bin', content);
  const query = `${data}.tsq`;
  const made = runOpenssl(['ts', '-query', '-data', data, ...queryArgs, '-out', query]);
  expect(made.status).toBe(0);
  const res = await f.post(readBytes(query));
  expect(res.status).toBe(200);
  expect(res.type).toBe('application/timestamp-reply');
  const reply = `${data}.tsr`;
  writeFileSync(reply, res.body);
  return { data, query, reply, replyBytes: res.body };
}

const ok = (r: { status: number | null; output: string }): boolean => r.status === 0 && r.output.includes('Verification: OK');

describe.each([
  ['SHA-256, nonce, -cert', ['-sha256', '-cert'], true],
  ['SHA-256, -no_nonce, no certificates', ['-sha256', '-no_nonce'], false],
  ['SHA-384, nonce, no certificates', ['-sha384'], false],
  ['SHA-512, -no_nonce, -cert, with our policy', ['-sha512', '-no_nonce', '-cert', '-tspolicy', TSA_POLICY], true],
  ['SHA-256, the second accepted policy', ['-sha256', '-cert', '-tspolicy', '1.3.6.1.4.1.55555.1.2'], true],
] as const)('openssl ts -query %s', (_name, args, withCerts) => {
  let x: Exchange;
  beforeAll(async () => {
    x = await exchange(args);
  });

  it('openssl ts -verify accepts the token for the data and for the query', () => {
    const trust = withCerts ? ['-CAfile', f.files.root] : ['-CAfile', f.files.root, '-untrusted', scratchFile(f.t.dir, 'untrusted.pem', Buffer.from(`${f.chain.leaf.pem}\n${f.chain.issuing.pem}`))];
    const byData = runOpenssl(['ts', '-verify', '-data', x.data, '-in', x.reply, ...trust]);
    expect(byData.output).toContain('Verification: OK');
    expect(ok(byData)).toBe(true);
    expect(ok(runOpenssl(['ts', '-verify', '-queryfile', x.query, '-in', x.reply, ...trust]))).toBe(true);
    // -CAfile holding the whole chain (issuing CA and root) works as well.
    if (withCerts) expect(ok(runOpenssl(['ts', '-verify', '-data', x.data, '-in', x.reply, '-CAfile', f.files.all]))).toBe(true);
    // … and refuses it for other data.
    const other = scratchFile(f.t.dir, 'other.bin', randomBytes(500));
    const byOther = runOpenssl(['ts', '-verify', '-data', other, '-in', x.reply, ...trust]);
    expect(ok(byOther)).toBe(false);
    expect(byOther.output).toMatch(/message imprint mismatch/);
  });

  it('openssl ts -reply -text shows our accuracy, policy, nonce and TSA name', () => {
    const text = runOpenssl(['ts', '-reply', '-in', x.reply, '-text']).output;
    expect(text).toContain('Status: Granted.');
    // §2.4.1: a token is issued under the policy the request names, when the TSA offers it.
    expect(text).toContain(`Policy OID: ${(args as readonly string[]).includes('1.3.6.1.4.1.55555.1.2') ? '1.3.6.1.4.1.55555.1.2' : TSA_POLICY}`);
    expect(text).toMatch(/Accuracy: 0x01 seconds, unspecified millis, unspecified micros/);
    expect(text).toContain('Ordering: no');
    expect(text).toMatch((args as readonly string[]).includes('-no_nonce') ? /Nonce: unspecified/ : /Nonce: 0x[0-9A-F]+/);
    expect(text).toContain('TSA: DirName:');
    expect(text).toMatch(/Time stamp: \w+ +\d+ \d\d:\d\d:\d\d \d{4} GMT/);
  });

  it('our verifier agrees, and an independent decoder (@peculiar/asn1-tsp) reads the response', async () => {
    const resp = parseTimeStampResponse(x.replyBytes);
    expect(resp).toMatchObject({ status: 0, failures: [] });
    const token = resp.token as Uint8Array;
    const trustAnchors = [trustAnchorFromCertificate(parseCertificate(f.chain.root.der))];
    const certificates = withCerts ? [] : [f.chain.leaf.der, f.chain.issuing.der];
    const content = readBytes(x.data);
    const good = await verifyTimeStampToken(token, { data: content, certificates, trustAnchors, revocation: { mode: 'required', ocsp: async () => 'good' } });
    expect(good).toMatchObject({ valid: true, info: { accuracy: { seconds: 1 }, ordering: false } });
    expect(await verifyTimeStampToken(token, { data: randomBytes(10), certificates })).toMatchObject({ valid: false, rule: 'imprint-mismatch' });
    const decoded = AsnConvert.parse(x.replyBytes, TimeStampResp);
    expect(decoded.status.status).toBe(0);
    expect(decoded.timeStampToken).toBeDefined();
    const cms = await verifySignedData(token, { certificates });
    expect(cms.valid).toBe(true);
    if (cms.valid) expect(parseTstInfo(cms.content).genTimeText).toMatch(/^\d{14}Z$/);
  });
});

it('the token covers the data openssl hashed: its imprint is the digest of the file', async () => {
  const content = randomBytes(100);
  const x = await exchange(['-sha384', '-cert'], content);
  const token = parseTimeStampResponse(x.replyBytes).token as Uint8Array;
  const r = await verifyTimeStampToken(token, { imprint: { hash: 'sha384', hashedMessage: createHash('sha384').update(content).digest() } });
  expect(r).toMatchObject({ valid: true });
});

describe('queries our TSA rejects, as openssl reads the reply', () => {
  it.each([
    ['SHA-1', ['-sha1', '-cert'], 'Failure info: unrecognized or unsupported algorithm identifier', 'badAlg'],
    ['a policy we do not offer', ['-sha256', '-tspolicy', '1.3.6.1.4.1.99999.1'], 'Failure info: the requested TSA policy is not supported by the TSA', 'unacceptedPolicy'],
  ] as const)('%s', async (_name, args, opensslText, failure) => {
    const x = await exchange(args);
    expect(parseTimeStampResponse(x.replyBytes)).toMatchObject({ status: 2, failures: [failure], token: undefined });
    const text = runOpenssl(['ts', '-reply', '-in', x.reply, '-text']).output;
    expect(text).toContain('Status: Rejected.');
    expect(text).toContain(opensslText);
    expect(f.lines.some((l) => l.msg === 'time-stamp request rejected' && l.failInfo === failure)).toBe(true);
  });
});

it('a token asked for with -cert carries the TSA certificate and the issuing CA, without -cert none', async () => {
  const withCert = parseTimeStampResponse((await exchange(['-sha256', '-cert'])).replyBytes).token as Uint8Array;
  const without = parseTimeStampResponse((await exchange(['-sha256'])).replyBytes).token as Uint8Array;
  expect(parseSignedData(withCert).certificates).toHaveLength(2);
  expect(parseSignedData(without).certificates).toHaveLength(0);
});
