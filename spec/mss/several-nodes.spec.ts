import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RelayStats } from '../../src/channel/sim';
import { openHsm, type Hsm } from '../../src/hsm';
import { addAp } from '../../src/mss/aps/registry';
import { DEFAULT_PROFILES, FICOM_SIGNATURE_PROFILE, MSS_FORMATS } from '../../src/mss/profiles';
import { openStore, type Store } from '../../src/store';
import { openThrowawayPostgresStore, throwawaySchemaName } from '../../src/store/testing';
import { importOtaKeys } from '../../hsm-sim/handset/platform';
import { readSimRecords, type SimRecord } from '../../hsm-sim/handset/sim-set';
import { SOFTHSM_MODULE_PATH } from '../../hsm-sim/softhsm';
import { ROOT, exited, scratchDir, silent, spawnWithReadyLine } from '../channel/smpp/support';
import { makeThrowAwayToken } from '../support/softhsm';
import { TEST_DATABASE_URL } from '../support/postgres';
import { startPlatformNode, type PlatformNode } from './support/platform-node';

/**
 * Issue 5 item 8, "several nodes": two platform nodes on one store, each with its own SMPP bind to one SMSC
 * account; the SMSC simulator hands the handsets' answers round-robin per message to either bind, so an answer
 * often reaches the node that did not ask (the PoR relay passes it on over the store's events). Synch
 * MSS_Signature requests over SOAP go to both nodes; every one must be answered with a CMS that openssl
 * verifies, nothing lost, and MSS_StatusQuery on the other node must give the same answer.
 * On PostgreSQL the nodes are two OS processes (LISTEN/NOTIFY); on SQLite two nodes in this process.
 */

jest.setTimeout(90_000);

const SIMS = 8;
const ROUNDS = 3;
const AP_ID = 'http://ap.nodes.test';
const AP_PASSWORD = 'several nodes password';
const SWC = ['-r', '@swc-node/register'];

let handsets: ChildProcess;
let smscPort: number;
let sims: string;
let records: SimRecord[];
let hsm: Hsm;
let platformEnv: NodeJS.ProcessEnv;
let caFile: string;
const work = scratchDir('several-nodes');

beforeAll(async () => {
  sims = join(work, 'sims');
  const started = await spawnWithReadyLine(process.execPath, [...SWC, join(ROOT, 'hsm-sim', 'handset', 'main.ts'), '--sims', sims, '--first', '35871000000', '--count', String(SIMS), '--key-type', 'P-256', '--port', '0', '--account', 'nodes:secret', '--mo-spread', 'message', '--log-level', 'error']);
  handsets = started.child;
  smscPort = Number(started.ready.port);
  records = readSimRecords(sims);
  const token = makeThrowAwayToken('platform', '1234');
  platformEnv = { ...process.env, SOFTHSM2_CONF: token.env.confPath };
  hsm = await openHsm({ modulePath: SOFTHSM_MODULE_PATH, tokenLabel: 'platform', pin: '1234', poolSize: 2 });
  await importOtaKeys(hsm, records);
  // The SIMs' certificates come from the SIM set's stand-in CA; openssl checks each signature against it.
  const issuer = JSON.parse(readFileSync(join(sims, 'issuer.json'), 'utf8')) as { certificate: string };
  caFile = join(work, 'sim-ca.pem');
  writeFileSync(caFile, `-----BEGIN CERTIFICATE-----\n${issuer.certificate.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`);
});

afterAll(async () => {
  await hsm?.close();
  if (handsets !== undefined && handsets.exitCode === null) {
    handsets.kill('SIGTERM');
    await exited(handsets);
  }
});

async function prepare(store: Store): Promise<void> {
  await store.migrate();
  await addAp(store.mss, { apId: AP_ID, password: AP_PASSWORD, profiles: DEFAULT_PROFILES.map((p) => p.uri), formats: Object.keys(MSS_FORMATS), ratePerSecond: 1000 });
}

let counter = 0;
const instant = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const apInfo = (): string => `<mss:AP_Info AP_ID="${AP_ID}" AP_TransID="nodes-${Date.now()}-${(counter += 1)}" AP_PWD="${AP_PASSWORD}" Instant="${instant()}"/>
<mss:MSSP_Info><mss:MSSP_ID><mss:URI>http://mssp.invalid</mss:URI></mss:MSSP_ID></mss:MSSP_Info>`;

function signatureReq(msisdn: string, data: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><MSS_Signature xmlns="">
<mss:MSS_SignatureReq xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1" MessagingMode="synch" TimeOut="30">
${apInfo()}
<mss:MobileUser><mss:MSISDN>+${msisdn}</mss:MSISDN></mss:MobileUser>
<mss:DataToBeSigned MimeType="text/plain" Encoding="UTF-8">${data}</mss:DataToBeSigned>
<mss:SignatureProfile><mss:mssURI>${FICOM_SIGNATURE_PROFILE}</mss:mssURI></mss:SignatureProfile>
</mss:MSS_SignatureReq></MSS_Signature></env:Body></env:Envelope>`;
}

function statusReq(msspTransId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><MSS_StatusQuery xmlns="">
<mss:MSS_StatusReq xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1" MSSP_TransID="${msspTransId}">
${apInfo()}
</mss:MSS_StatusReq></MSS_StatusQuery></env:Body></env:Envelope>`;
}

async function postSoap(url: string, body: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/soap+xml; charset=utf-8' }, body });
  return res.text();
}

const statusOf = (xml: string): string | undefined => /<mss:StatusCode Value="(\d+)"/.exec(xml)?.[1] ?? /<env:Value>mss:_(\d+)<\/env:Value>/.exec(xml)?.[1];
const signatureOf = (xml: string): string | undefined => /<mss:Base64Signature>([^<]+)</.exec(xml)?.[1];

function cmsVerifies(signature: string, data: string, name: string): boolean {
  const sig = join(work, `${name}.der`);
  const content = join(work, `${name}.txt`);
  writeFileSync(sig, Buffer.from(signature, 'base64'));
  writeFileSync(content, data);
  const r = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', content, '-CAfile', caFile, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
  return /Verification successful/.test(r.stderr);
}

interface Answered {
  readonly node: number;
  readonly msisdn: string;
  readonly data: string;
  readonly xml: string;
}

/** ROUNDS rounds of one synch request per SIM at once, alternating the node a SIM's request goes to. */
async function workload(soapUrls: readonly string[], label: string): Promise<Answered[]> {
  const answered: Answered[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    answered.push(
      ...(await Promise.all(
        records.map(async (r, i) => {
          const node = (i + round) % soapUrls.length;
          const data = `${label} round ${round} SIM ${r.msisdn}`;
          return { node, msisdn: r.msisdn, data, xml: await postSoap(soapUrls[node] as string, signatureReq(r.msisdn, data)) };
        }),
      )),
    );
  }
  return answered;
}

/** Every answer signed and verifying, each transaction completed once in the store, the other node agreeing. */
async function checkAnswers(answered: readonly Answered[], soapUrls: readonly string[], store: Store, label: string): Promise<void> {
  expect(answered).toHaveLength(SIMS * ROUNDS);
  expect(answered.map((a) => statusOf(a.xml))).toEqual(answered.map(() => '500'));
  expect(new Set(answered.map((a) => a.node))).toEqual(new Set([0, 1]));
  for (const [i, a] of answered.entries()) {
    const signature = signatureOf(a.xml) as string;
    expect(cmsVerifies(signature, a.data, `${label}-${i}`)).toBe(true);
    const msspTransId = /MSSP_TransID="([^"]+)"/.exec(a.xml)?.[1] as string;
    const tx = await store.mss.findTransaction(msspTransId);
    expect(tx).toMatchObject({ state: 'completed', statusCode: 500, signature });
    // MSS_StatusQuery at the node that did not take the request.
    const other = await postSoap(soapUrls[1 - a.node] as string, statusReq(msspTransId));
    expect([statusOf(other), signatureOf(other)]).toEqual(['500', signature]);
  }
  expect(await store.mss.countTransactions(AP_ID)).toBe(SIMS * ROUNDS);
}

function checkRelay(stats: readonly RelayStats[]): number {
  const relayed = stats.reduce((n, s) => n + s.relayed, 0);
  const claimed = stats.reduce((n, s) => n + s.claimed, 0);
  // With per-message round-robin about half of the answers land on the other node; none may be lost.
  expect(relayed).toBeGreaterThan(0);
  expect(claimed).toBe(relayed);
  expect(stats.map((s) => s.unclaimed)).toEqual([0, 0]);
  process.stdout.write(`several nodes: ${relayed} of ${SIMS * ROUNDS} answers crossed nodes\n`);
  return relayed;
}

describe('on PostgreSQL: two platform processes', () => {
  test('synch signatures spread over both nodes; answers cross nodes; every one answered and verified; status from either node', async () => {
    const schema = throwawaySchemaName();
    const store = await openThrowawayPostgresStore({ databaseUrl: TEST_DATABASE_URL, schema });
    const nodes: { child: ChildProcess; stdout: string[] }[] = [];
    try {
      await prepare(store);
      for (const name of ['node-a', 'node-b']) {
        const started = await spawnWithReadyLine(process.execPath, [...SWC, join(ROOT, 'spec', 'mss', 'support', 'node-main.ts'), name, TEST_DATABASE_URL, schema, sims, String(smscPort)], platformEnv);
        nodes.push(started);
        expect(started.ready).toMatchObject({ node: 'ready', name });
      }
      const soapUrls = nodes.map((n) => String((JSON.parse(n.stdout[0] as string) as { soapUrl: string }).soapUrl));
      const answered = await workload(soapUrls, 'pg');
      await checkAnswers(answered, soapUrls, store, 'pg');
      const stats: RelayStats[] = [];
      for (const n of nodes.splice(0)) {
        n.child.kill('SIGTERM');
        expect(await exited(n.child)).toBe(0);
        const line = n.stdout.find((l) => l.includes('"stopped"'));
        stats.push((JSON.parse(line as string) as { relay: RelayStats }).relay);
      }
      checkRelay(stats);
    } finally {
      for (const n of nodes) {
        n.child.kill('SIGKILL');
        await exited(n.child);
      }
      await store.close();
    }
  });
});

describe('on SQLite: two nodes in one process (in-process events)', () => {
  test('the same with both nodes on one SQLite file', async () => {
    const file = join(work, 'nodes.sqlite');
    const first = await openStore({ sqliteFile: file });
    const second = await openStore({ sqliteFile: file });
    const nodes: PlatformNode[] = [];
    try {
      await prepare(first);
      for (const [name, store] of [['sqlite-a', first], ['sqlite-b', second]] as const) {
        nodes.push(await startPlatformNode({ name, store, hsm, records, smsc: { port: smscPort, systemId: 'nodes', password: 'secret' }, logger: silent() }));
      }
      const soapUrls = nodes.map((n) => n.soapUrl);
      const answered = await workload(soapUrls, 'sqlite');
      await checkAnswers(answered, soapUrls, first, 'sqlite');
      checkRelay(nodes.map((n) => n.relayStats()));
    } finally {
      for (const n of nodes) await n.stop();
      await second.close();
      await first.close();
    }
  });
});
