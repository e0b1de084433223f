import { createCipheriv, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHsm, type Hsm } from '../../src/hsm';
import { importPersonalisation, SIM_TRANSPORT_KEY_LABEL } from '../../src/cli/sim';
import { otaKeyLabel } from '../../src/channel/sim';
import { personalisationLines } from '../../hsm-sim/handset/personalisation-file';
import type { SimRecord } from '../../hsm-sim/handset/sim-set';
import { makeThrowAwayToken } from '../support/softhsm';
import { STORE_ENGINES } from '../store/engines';

/**
 * `mssp sim import`: OTA keys wrapped by the personaliser's desk tool under the transport key are unwrapped into
 * the HSM (never extractable) and bound to their SIM; checked against node's AES-CBC and openssl's CMAC with the
 * clear keys the simulated SIMs hold. Bad lines are refused whole, with nothing left in the token or the store.
 */
function simRecord(msisdn: string): SimRecord {
  return {
    msisdn,
    iccid: `89${msisdn.padStart(17, '0')}`.slice(-19),
    keyType: 'P-256',
    tar: 'b00010',
    pins: { auth: '1234', sign: '12345' },
    puks: { auth: '12345678', sign: '12345678' },
    ota: { version: 1, kic: randomBytes(16).toString('hex'), kid: randomBytes(16).toString('hex') },
    certificates: { auth: '', sign: '' },
  };
}

describe.each(STORE_ENGINES)('mssp sim import (%s)', (engine, engineCase) => {
  let hsm: Hsm;
  let publicPem: string;
  const dir = () => join(process.env.MSSP_TEST_SCRATCH ?? '/tmp');

  beforeAll(async () => {
    const token = makeThrowAwayToken(`simimp-${engine}`);
    hsm = await openHsm({ modulePath: token.env.modulePath, tokenLabel: token.label, pin: token.userPin, poolSize: 2 });
    const pair = await hsm.generateKeyPair({ type: 'RSA', modulusBits: 2048, usage: 'unwrap' }, { label: SIM_TRANSPORT_KEY_LABEL });
    const spki = await hsm.publicKeySpki(pair.publicKey);
    publicPem = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END PUBLIC KEY-----\n`;
  }, 60_000);
  afterAll(async () => hsm?.close());

  it('imports each SIM: the unwrapped KIc ciphers and the KID MACs as the clear keys do; a repeat changes nothing', async () => {
    const fx = await engineCase.fresh();
    await fx.store.migrate();
    try {
      const records = [simRecord('35850000101'), simRecord('35850000102')];
      const text = personalisationLines(records, publicPem).join('\n');
      expect(text).not.toContain((records[0] as SimRecord).ota.kic);
      const report = await importPersonalisation(hsm, fx.store, text, 'spec');
      expect(report).toEqual({ imported: ['35850000101', '35850000102'], unchanged: [], refused: [] });
      const [record] = records as [SimRecord];
      const kic = await hsm.findKey({ class: 'secretKey', label: otaKeyLabel({ sim: record.iccid, key: 'KIc', version: 1 }) });
      const kid = await hsm.findKey({ class: 'secretKey', label: otaKeyLabel({ sim: record.iccid, key: 'KID', version: 1 }) });
      const data = randomBytes(32);
      const iv = Buffer.alloc(16);
      const expected = createCipheriv('aes-128-cbc', Buffer.from(record.ota.kic, 'hex'), iv).setAutoPadding(false).update(data);
      expect((await hsm.aesCbc(kic, 'encrypt', iv, data)).equals(expected)).toBe(true);
      const file = join(dir(), `cmac-${engine}-${process.pid}.bin`);
      writeFileSync(file, data);
      const opensslCmac = execFileSync('openssl', ['mac', '-cipher', 'AES-128-CBC', '-macopt', `hexkey:${record.ota.kid}`, '-in', file, 'CMAC'], { encoding: 'utf8' }).trim().toLowerCase();
      expect((await hsm.aesCmac(kid, data)).toString('hex')).toBe(opensslCmac);
      // One key, one job, and never out of the token.
      await expect(hsm.aesCbc(kid, 'encrypt', iv, data)).rejects.toThrow();
      const objects = (await hsm.listObjects()).filter((o) => o.label.startsWith(`ota/${record.iccid}/`));
      expect(objects).toHaveLength(2);
      for (const o of objects) expect(o).toMatchObject({ sensitive: true, extractable: false });
      expect((await fx.store.sims.findByMsisdn('35850000101'))?.iccid).toBe(record.iccid);

      expect(await importPersonalisation(hsm, fx.store, text, 'spec')).toEqual({ imported: [], unchanged: ['35850000101', '35850000102'], refused: [] });
      for (const r of records) for (const key of ['KIc', 'KID'] as const) await hsm.destroyKey(await hsm.findKey({ class: 'secretKey', label: otaKeyLabel({ sim: r.iccid, key, version: 1 }) }));
    } finally {
      await fx.close();
    }
  });

  it('refuses a damaged ciphertext, another transport key, a bound MSISDN and malformed lines, keeping nothing of them', async () => {
    const fx = await engineCase.fresh();
    await fx.store.migrate();
    try {
      const good = simRecord('35850000201');
      const [goodLine] = personalisationLines([good], publicPem) as [string];
      const damaged = JSON.parse(personalisationLines([simRecord('35850000202')], publicPem)[0] as string) as { kid: { wrapped: string } };
      const bytes = Buffer.from(damaged.kid.wrapped, 'base64');
      bytes[10] = (bytes[10] ?? 0) ^ 0xff;
      damaged.kid.wrapped = bytes.toString('base64');
      const otherKey = execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const otherPub = execFileSync('openssl', ['pkey', '-pubout'], { input: otherKey, encoding: 'utf8' });
      const [foreign] = personalisationLines([simRecord('35850000203')], otherPub) as [string];
      const rebound = personalisationLines([{ ...simRecord('35850000201'), iccid: '8900000035850009999' }], publicPem)[0] as string;
      const text = [goodLine, JSON.stringify(damaged), foreign, rebound, '{"format":"mssp-sim-personalisation/1","msisdn":"12"}', 'not json'].join('\n');
      const report = await importPersonalisation(hsm, fx.store, text, 'spec');
      expect(report.imported).toEqual(['35850000201']);
      expect(report.refused.map((r) => [r.line, r.reason.split(':')[0]])).toEqual([
        [2, 'kid.wrapped'],
        [3, 'wrapping.transportKey'],
        [4, 'msisdn'],
        [5, 'msisdn'],
        [6, 'line'],
      ]);
      // The damaged line's KIc had unwrapped before its KID failed: it was destroyed again.
      const leftovers = (await hsm.listObjects()).filter((o) => o.label.startsWith('ota/') && !o.label.startsWith(`ota/${good.iccid}/`));
      expect(leftovers).toEqual([]);
      expect((await fx.store.sims.list()).map((s) => s.msisdn)).toEqual(['35850000201']);
      for (const key of ['KIc', 'KID'] as const) await hsm.destroyKey(await hsm.findKey({ class: 'secretKey', label: otaKeyLabel({ sim: good.iccid, key, version: 1 }) }));
    } finally {
      await fx.close();
    }
  });
});
