import { createHash, X509Certificate, verify as verifySignature } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppletChannel, ClockSeededCounters, deviceOtaCrypto, isAppletChannelError, newTransactionRef, type CounterSource } from '../../../src/channel/sim';
import type { SigningRequest } from '../../../src/channel/applet';
import { EsmeClient } from '../../../src/channel/smpp';
import { softwareOtaCrypto } from '../../../src/channel/ota';
import { CardTokenDirectory, openHsm, type Hsm } from '../../../src/hsm';
import { SOFTHSM_MODULE_PATH } from '../../../hsm-sim/softhsm';
import { HandsetFarm } from '../../../hsm-sim/handset/farm';
import { provisionSimSet, type SimRecord } from '../../../hsm-sim/handset/sim-set';
import { importOtaKeys, simDirectory, simProfile } from '../../../hsm-sim/handset/platform';
import type { ScreenRecord, UserBehaviour } from '../../../hsm-sim/handset/user';
import { makeThrowAwayToken } from '../../support/softhsm';
import { certificationRequest } from '../../../hsm-sim/handset/enrolment';
import { checkProofOfPossession, readCertificationRequest } from '../../../src/pki/ra';
import { ACCOUNT, captureLogger, scratchDir, silent, startSmsc } from '../../channel/smpp/support';
import type { SmscSimulator } from '../../../hsm-sim/smsc/smsc-server';
import { InMemoryHandsetDirectory } from '../../../hsm-sim/smsc/handsets';

/**
 * The whole mobile channel, end to end: platform ESME → SMSC simulator (real TCP) → virtual handset → SIM
 * applet signing with a PIN-protected key in its own SoftHSM2 token → PoR as MO SMS → platform decodes it and
 * verifies the signature (node:crypto with the SIM's certificate, and openssl cms for CMS SignedData).
 */

const MSISDNS = { approve: '35840000001', cancel: '35840000002', blocked: '35840000003', ignore: '35840000004', off: '35840000005', puk: '35840000006' };

jest.setTimeout(60_000);

describe('platform → SMSC → handset → SIM applet → platform', () => {
  const dir = scratchDir('e2e-sims');
  const behaviours = new Map<string, UserBehaviour>();
  const directory = new InMemoryHandsetDirectory();
  const screens = new Map<string, ScreenRecord>();
  const applet = captureLogger('warn');
  let hsm: Hsm;
  let tokens: CardTokenDirectory;
  let records: SimRecord[];
  let farm: HandsetFarm;
  let smsc: SmscSimulator;
  let esme: EsmeClient;
  let channel: AppletChannel;
  const recordOf = (msisdn: string): SimRecord => records.find((r) => r.msisdn === msisdn) as SimRecord;

  const openFarm = (): HandsetFarm =>
    HandsetFarm.open({ dir, tokens, records, behaviour: (m) => behaviours.get(m) ?? { kind: 'approve' }, userTimeoutMs: 400, logger: applet.logger, directory, screen: (m, r) => screens.set(m, r) });

  beforeAll(async () => {
    makeThrowAwayToken('mssp', '1234');
    hsm = await openHsm({ modulePath: SOFTHSM_MODULE_PATH, tokenLabel: 'mssp', pin: '1234', poolSize: 2 });
    tokens = CardTokenDirectory.open(SOFTHSM_MODULE_PATH);
    ({ records } = await provisionSimSet({ dir, tokens, msisdns: Object.values(MSISDNS), keyType: 'P-256' }));
    await importOtaKeys(hsm, records);
    farm = openFarm();
    const started = await startSmsc({ handsets: directory });
    smsc = started.smsc;
    esme = new EsmeClient({ host: '127.0.0.1', port: started.port, systemId: ACCOUNT.systemId, password: ACCOUNT.password, enquireLinkMs: 0, logger: silent() });
    await esme.start();
    channel = new AppletChannel({ transport: esme, crypto: deviceOtaCrypto(hsm), sims: simDirectory(records), counters: new ClockSeededCounters(), shortCode: '12345', timeoutMs: 5_000, logger: silent() });
  });

  afterAll(async () => {
    channel?.close();
    await esme?.close();
    await smsc?.stop();
    await farm?.close();
    await tokens?.close();
    await hsm?.close();
  });

  function signRequest(data: string, format: 'raw' | 'cms' = 'raw', key: 'signing' | 'authentication' = 'signing'): SigningRequest {
    return {
      transactionRef: newTransactionRef(),
      operation: key === 'signing' ? 'sign' : 'authenticate',
      displayText: `Sign: ${data}?`,
      verificationCode: '7Q4K',
      toBeSigned: { kind: 'data', data: Buffer.from(data) },
      keyReference: key,
      algorithm: 'ecdsa-p256-sha256',
      signatureFormat: format,
    };
  }

  test('approve: the SIM signs with its signature key; the signature verifies with its certificate', async () => {
    const request = signRequest('contract 2024-117');
    const result = await channel.request(`+${MSISDNS.approve}`, request);
    expect(result.por.secured).toBe(true);
    expect(result.response.outcome).toBe('signed');
    if (result.response.outcome !== 'signed') return;
    const der = Buffer.from(recordOf(MSISDNS.approve).certificates.sign, 'base64');
    expect(Buffer.from(result.response.certificateRef)).toEqual(createHash('sha256').update(der).digest());
    const cert = new X509Certificate(der);
    expect(verifySignature('sha256', Buffer.from('contract 2024-117'), cert.publicKey, result.response.signature.value)).toBe(true);
    expect(verifySignature('sha256', Buffer.from('something else'), cert.publicKey, result.response.signature.value)).toBe(false);
  });

  test('authenticate uses the other token (the auth key), and a hash can be signed', async () => {
    const digest = createHash('sha256').update('login challenge').digest();
    const request: SigningRequest = { ...signRequest('x', 'raw', 'authentication'), toBeSigned: { kind: 'hash', algorithm: 'sha-256', digest } };
    const result = await channel.request(MSISDNS.approve, request);
    if (result.response.outcome !== 'signed') throw new Error(`expected signed, got ${result.response.outcome}`);
    const cert = new X509Certificate(Buffer.from(recordOf(MSISDNS.approve).certificates.auth, 'base64'));
    expect(verifySignature('sha256', Buffer.from('login challenge'), cert.publicKey, result.response.signature.value)).toBe(true);
  });

  test('CMS SignedData made in the SIM token verifies with openssl cms', async () => {
    const result = await channel.request(MSISDNS.approve, signRequest('pay 12.50 EUR to ACME', 'cms'));
    if (result.response.outcome !== 'signed') throw new Error(`expected signed, got ${result.response.outcome}`);
    const work = scratchDir('e2e-cms');
    const record = recordOf(MSISDNS.approve);
    writeFileSync(join(work, 'sig.p7s'), result.response.signature.value);
    writeFileSync(join(work, 'data.bin'), 'pay 12.50 EUR to ACME');
    writeFileSync(join(work, 'signer.pem'), new X509Certificate(Buffer.from(record.certificates.sign, 'base64')).toString());
    const issuer = JSON.parse(readFileSync(join(dir, 'issuer.json'), 'utf8')) as { certificate: string };
    writeFileSync(join(work, 'ca.pem'), new X509Certificate(Buffer.from(issuer.certificate, 'base64')).toString());
    const out = execFileSync('openssl', ['cms', '-verify', '-purpose', 'any', '-binary', '-inform', 'DER', '-in', join(work, 'sig.p7s'), '-content', join(work, 'data.bin'), '-CAfile', join(work, 'ca.pem'), '-out', '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
  });

  test('the user cancels: outcome user-cancelled, the screen showed text and verification code', async () => {
    behaviours.set(MSISDNS.cancel, { kind: 'cancel' });
    const result = await channel.request(MSISDNS.cancel, signRequest('cancel me'));
    expect(result.response.outcome).toBe('user-cancelled');
    expect(screens.get(MSISDNS.cancel)).toMatchObject({ operation: 'sign', text: 'Sign: cancel me?', verificationCode: '7Q4K' });
  });

  test('three wrong PINs block the signature PIN; it stays blocked across a handset restart; the PUK unblocks it', async () => {
    behaviours.set(MSISDNS.blocked, { kind: 'wrong-pin', times: 3 });
    expect((await channel.request(MSISDNS.blocked, signRequest('one'))).response.outcome).toBe('pin-blocked');
    expect(applet.lines.some((l) => l.event === 'applet.pin.blocked')).toBe(true);
    // Power cycle: every SIM's tokens closed, the farm rebuilt from the same folder.
    await farm.close();
    farm = openFarm();
    behaviours.set(MSISDNS.blocked, { kind: 'approve' });
    expect((await channel.request(MSISDNS.blocked, signRequest('two'))).response.outcome).toBe('pin-blocked');
    // The authentication PIN is separate and still works.
    expect((await channel.request(MSISDNS.blocked, signRequest('three', 'raw', 'authentication'))).response.outcome).toBe('signed');
    const card = farm.cards.get(MSISDNS.blocked);
    if (card === undefined) throw new Error('no card');
    await expect(card.unblockPin('sign', '00000000', '54321')).rejects.toThrow();
    await card.unblockPin('sign', recordOf(MSISDNS.blocked).puks.sign, recordOf(MSISDNS.blocked).pins.sign);
    expect((await channel.request(MSISDNS.blocked, signRequest('four'))).response.outcome).toBe('signed');
  });

  test('two wrong PINs, then the right one: signed, and the retry counter is back to zero', async () => {
    behaviours.set(MSISDNS.puk, { kind: 'wrong-pin', times: 2 });
    expect((await channel.request(MSISDNS.puk, signRequest('almost'))).response.outcome).toBe('signed');
    expect(farm.cards.get(MSISDNS.puk)?.pinState('sign')).toEqual({ wrongTries: 0, blocked: false });
  });

  test('a slow user: the answer comes after the delay, signed', async () => {
    behaviours.set(MSISDNS.cancel, { kind: 'approve', delayMs: 250 });
    const result = await channel.request(MSISDNS.cancel, signRequest('slowly'));
    expect(result.response.outcome).toBe('signed');
    expect(result.elapsedMs).toBeGreaterThanOrEqual(250);
  });

  test('the user ignores the phone: the applet answers timeout; a phone that is off: the channel times out', async () => {
    behaviours.set(MSISDNS.ignore, { kind: 'ignore' });
    expect((await channel.request(MSISDNS.ignore, signRequest('ignored'))).response.outcome).toBe('timeout');
    behaviours.set(MSISDNS.off, { kind: 'off' });
    const err = await channel.request(MSISDNS.off, signRequest('nobody'), { timeoutMs: 800 }).catch((e: unknown) => e);
    expect(isAppletChannelError(err, 'TIMEOUT')).toBe(true);
  });

  test('a replayed counter → PoR cntr-low; an unknown TAR → tar-unknown; a wrong checksum → rc-cc-ds-failed; each with a log line', async () => {
    const record = recordOf(MSISDNS.approve);
    const fixed: CounterSource = { next: () => 5n };
    const replay = new AppletChannel({ transport: esme, crypto: deviceOtaCrypto(hsm), sims: simDirectory(records), counters: fixed, shortCode: '12345', timeoutMs: 5_000, logger: silent() });
    const before = applet.lines.length;
    const e1 = await replay.request(MSISDNS.approve, signRequest('old')).catch((e: unknown) => e);
    replay.close();
    expect(isAppletChannelError(e1, 'POR_ERROR') && e1.detail.porStatus).toBe('cntr-low');

    const wrongTar = new AppletChannel({ transport: esme, crypto: deviceOtaCrypto(hsm), sims: { lookup: () => ({ ...simProfile(record), tar: Buffer.from('b00099', 'hex') }) }, counters: new ClockSeededCounters(), shortCode: '12345', timeoutMs: 5_000, logger: silent() });
    const e2 = await wrongTar.request(MSISDNS.approve, signRequest('tar')).catch((e: unknown) => e);
    wrongTar.close();
    expect(isAppletChannelError(e2, 'POR_ERROR') && e2.detail.porStatus).toBe('tar-unknown');

    const forged = softwareOtaCrypto([
      { ref: { sim: record.iccid, key: 'KIc', version: 1 }, secret: Buffer.from(record.ota.kic, 'hex') },
      { ref: { sim: record.iccid, key: 'KID', version: 1 }, secret: Buffer.alloc(16, 7) },
    ]);
    const wrongKey = new AppletChannel({ transport: esme, crypto: forged, sims: simDirectory(records), counters: new ClockSeededCounters(Date.now() + 60_000), shortCode: '12345', timeoutMs: 5_000, logger: silent() });
    const e3 = await wrongKey.request(MSISDNS.approve, signRequest('forged')).catch((e: unknown) => e);
    wrongKey.close();
    expect(isAppletChannelError(e3, 'POR_ERROR') && e3.detail).toMatchObject({ porStatus: 'rc-cc-ds-failed', secured: false });

    const refusals = applet.lines.slice(before).filter((l) => l.event === 'ota.command.refused').map((l) => l.status);
    expect(refusals).toEqual(['cntr-low', 'tar-unknown', 'rc-cc-ds-failed']);
    // The SIM still works after all that.
    expect((await channel.request(MSISDNS.approve, signRequest('still fine'))).response.outcome).toBe('signed');
  });

  test('enrolment: the SIM signs PKCS#10 requests for both keys inside its tokens; the RA parser and openssl req accept the proof of possession', async () => {
    const record = recordOf(MSISDNS.approve);
    const card = farm.cards.get(MSISDNS.approve);
    if (card === undefined) throw new Error('no card');
    const work = scratchDir('e2e-csr');
    for (const which of ['auth', 'sign'] as const) {
      expect(await card.verifyPin(which, record.pins[which])).toBe('ok');
      const der = await certificationRequest(card, which);
      const csr = readCertificationRequest(der);
      expect(() => checkProofOfPossession(csr)).not.toThrow();
      expect(Buffer.from(csr.der)).toEqual(der);
      writeFileSync(join(work, `${which}.csr`), der);
      // openssl exits non-zero when the self-signature does not verify; -pubkey shows which key it carries.
      const out = execFileSync('openssl', ['req', '-verify', '-noout', '-inform', 'DER', '-in', join(work, `${which}.csr`), '-pubkey'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toContain(new X509Certificate(Buffer.from(record.certificates[which], 'base64')).publicKey.export({ format: 'pem', type: 'spki' }).toString().trim());
    }
  });

  test('an unknown MSISDN is refused before anything is sent', async () => {
    const err = await channel.request('999', signRequest('x')).catch((e: unknown) => e);
    expect(isAppletChannelError(err, 'UNKNOWN_MSISDN')).toBe(true);
  });
});
