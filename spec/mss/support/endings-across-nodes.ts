import { createLogger } from '../../../src/log';
import type { MssRequest } from '../../../src/mss/messages/types';
import { FICOM_SIGNATURE_PROFILE } from '../../../src/mss/profiles';
import { MssService } from '../../../src/mss/service';
import { ScriptedApprover } from '../../../hsm-sim/scripted-approver';
import { AP_ID, AP_PASSWORD, MSISDN, startMssFixture, type MssFixture } from '../../api/soap/mss-fixture';
import type { StoreEngineCase } from '../../store/engines';

/**
 * Issue 5 item 8: a synch MSS_Signature waiting on node A whose transaction node B ends (B's sweep expires it)
 * is answered by A at once, woken by the store's events, not at A's own deadline.
 */
/** One engine per spec file: the PKI tokens of startMssFixture can be made once per process. */
export function endingsAcrossNodes(engine: StoreEngineCase): void {
  let a: MssFixture;
  let b: MssService;
  let n = 0;
  beforeAll(async () => {
    a = await startMssFixture(`endings-${engine.engine}`, engine);
    const second = await a.fx.openSecond();
    b = new MssService({ repo: second.mss, events: second.events, approver: new ScriptedApprover([]), logger: createLogger({ level: 'silent' }), msspId: { uri: 'http://node-b.test' } });
    await Promise.all([a.fx.store.events.ready(), second.events.ready()]);
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
    await a?.close();
  });

  const request = (msisdn: string): MssRequest => ({
    kind: 'MSS_SignatureReq',
    majorVersion: 1,
    minorVersion: 1,
    apInfo: { apId: AP_ID, apTransId: `E${++n}${Date.now()}`, apPwd: AP_PASSWORD, instant: new Date() },
    msspInfo: { msspId: { uri: 'http://mssp.test' } },
    mobileUser: { msisdn },
    dataToBeSigned: { value: 'ended elsewhere' },
    signatureProfile: { mssUri: FICOM_SIGNATURE_PROFILE },
    additionalServices: [],
    messagingMode: 'synch',
    timeOut: 60,
  });

  test('node B expires the transaction; the synch request on node A answers 208 at once', async () => {
    // The slow citizen answers 1.5 s after being asked; node B ends the transaction as soon as it is stored.
    const answer = a.mss.service.handle(request(MSISDN.slow), { remoteAddress: '127.0.0.1' });
    const outcome = answer.then(
      () => 'answered',
      (err: { code?: number }) => err.code,
    );
    const later = new Date(Date.now() + 120_000);
    while ((await a.fx.store.mss.listOverdue(later, 10)).length === 0) await new Promise((r) => setTimeout(r, 10));
    const asked = Date.now();
    expect(await b.expireOverdue(later)).toBe(1);
    expect(await outcome).toBe(208);
    expect(Date.now() - asked).toBeLessThan(1_200);
  });
}
