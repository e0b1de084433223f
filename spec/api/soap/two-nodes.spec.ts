import { MssService } from '../../../src/mss/service';
import type { StatusResp, SignatureResp } from '../../../src/mss/messages/types';
import { FICOM_SIGNATURE_PROFILE } from '../../../src/mss/profiles';
import { createLogger } from '../../../src/log';
import { ScriptedApprover } from '../../../hsm-sim/scripted-approver';
import { postgresEngine } from '../../store/engines';
import { AP_ID, AP_PASSWORD, MSISDN, startMssFixture, type MssFixture } from './mss-fixture';

/**
 * Two platform nodes on one PostgreSQL database: node A takes an asynchClientServer signature and its approver
 * answers; node B, which never saw the request and reaches no citizen, answers MSS_StatusQuery from the store.
 */
let a: MssFixture;
let b: MssService;
let n = 0;
beforeAll(async () => {
  a = await startMssFixture('two-nodes', postgresEngine);
  const second = await a.fx.openSecond();
  b = new MssService({ repo: second.mss, approver: new ScriptedApprover([]), logger: createLogger({ level: 'silent' }), msspId: { uri: 'http://node-b.test' } });
}, 60_000);
afterAll(async () => {
  await b?.stop();
  await a?.close();
});

const header = () => ({
  majorVersion: 1,
  minorVersion: 1,
  apInfo: { apId: AP_ID, apTransId: `N${++n}${Date.now()}`, apPwd: AP_PASSWORD, instant: new Date() },
  msspInfo: { msspId: { uri: 'http://mssp.test' } },
});

test('a transaction started on node A is answered 504 then 500 with the signature by node B', async () => {
  const caller = { remoteAddress: '127.0.0.1' };
  const started = (await a.mss.service.handle(
    {
      kind: 'MSS_SignatureReq',
      ...header(),
      mobileUser: { msisdn: MSISDN.slow },
      dataToBeSigned: { value: 'two nodes' },
      signatureProfile: { mssUri: FICOM_SIGNATURE_PROFILE },
      additionalServices: [],
      messagingMode: 'asynchClientServer',
      timeOut: 30,
    },
    caller,
  )) as SignatureResp;
  expect(started.status.code).toBe(100);
  const query = async (): Promise<StatusResp> => (await b.handle({ kind: 'MSS_StatusReq', ...header(), msspTransId: started.msspTransId }, caller)) as StatusResp;
  expect((await query()).status.code).toBe(504);
  let answer = await query();
  for (let i = 0; i < 40 && answer.status.code === 504; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    answer = await query();
  }
  expect(answer.status.code).toBe(500);
  expect(answer.signature?.base64Signature.length).toBeGreaterThan(100);
  expect(answer.msspInfo.msspId.uri).toBe('http://node-b.test');
});
