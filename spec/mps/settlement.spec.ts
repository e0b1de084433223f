import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hsmSigner, parseCertificate, trustAnchorFromCertificate } from '../../src/pki';
import { Settlement, verifyReport } from '../../src/mps/settlement';
import { isMpsError } from '../../src/mps/errors';
import { openTestToken, type TestToken } from '../hsm/support';
import { runOpenssl } from '../pki/support/openssl-pki';
import { makeTokenChain, writeChainFiles, type TokenChain } from '../pki/support/token-pki';
import { STORE_ENGINES } from '../store/engines';
import { expectBalanced, freshLedger, twoBanks, type LedgerFixture } from './support';

/**
 * Settlement on both engines: net positions per bank per window, net debit caps enforced when money is reserved
 * or sent, windows open → closed → settled, and the report (JSON and CSV) signed by the platform's key in a
 * SoftHSM token, checked by openssl cms -verify and by our verifier.
 */
let token: TestToken;
let chain: TokenChain;
let files: { root: string; all: string };

beforeAll(async () => {
  token = await openTestToken('mps-settlement');
  chain = await makeTokenChain(token.hsm, { label: 'platform', caAlgorithm: 'ES256', leafAlgorithm: 'ES256' });
  files = writeChainFiles(token.dir, 'platform', chain);
});
afterAll(async () => {
  await token?.hsm.close();
});

function opensslVerify(name: string, body: Buffer, signature: Buffer): { ok: boolean; output: string } {
  const sig = join(token.dir, `${name}.p7s`);
  const data = join(token.dir, `${name}.data`);
  writeFileSync(sig, signature);
  writeFileSync(data, body);
  const r = runOpenssl(['cms', '-verify', '-purpose', 'any', '-binary', '-inform', 'DER', '-in', sig, '-content', data, '-CAfile', files.root, '-out', join(token.dir, `${name}.out`)]);
  return { ok: r.status === 0 && r.output.includes('Verification successful'), output: r.output };
}

describe.each(STORE_ENGINES)('settlement on %s', (engineName, engine) => {
  let t: LedgerFixture;
  let settlement: Settlement;
  beforeAll(async () => {
    t = await freshLedger(engine);
    await twoBanks(t.ledger);
    settlement = new Settlement({
      store: t.store,
      clock: t.clock.now,
      signer: hsmSigner(token.hsm, chain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: chain.leaf.der, chain: [chain.issuing.der] }),
    });
    await t.ledger.pay({ id: 'fund', debitAccountId: 'bank-a-issuance-EUR', creditAccountId: 'alice-EUR', currency: 'EUR', amount: '100000' });
  });
  afterAll(async () => {
    await t?.fx.close();
  });

  it('keeps net positions per bank: a payment from bank A to bank B moves both, one inside bank A moves neither', async () => {
    const w = await settlement.openWindowId();
    await t.ledger.pay({ id: 's1', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '2500' });
    await t.ledger.pay({ id: 's2', debitAccountId: 'alice-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: '700' });
    const positions = await settlement.positions(w);
    expect(positions).toEqual([
      { bankId: 'bank-a', currency: 'EUR', net: -2500n },
      { bankId: 'bank-b', currency: 'EUR', net: 2500n },
    ]);
  });

  it('enforces the net debit cap when money is reserved, counting pending reservations, and lets payments inside the bank through', async () => {
    await t.ledger.setNetDebitCap('bank-a', 'EUR', 5000n);
    // Net -2500 so far: 2500 of headroom.
    await t.ledger.pay({ id: 'cap-1', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '2000', reserve: true });
    const refused = await t.ledger.pay({ id: 'cap-2', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '501' }).catch((e: unknown) => e);
    expect(isMpsError(refused, 'NET_DEBIT_CAP_EXCEEDED')).toBe(true);
    await t.ledger.pay({ id: 'cap-3', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '500' });
    await t.ledger.pay({ id: 'cap-4', debitAccountId: 'alice-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: '9000' });
    // Money coming in to bank A makes room again.
    await t.ledger.createParticipant({ id: 'carol', kind: 'client', name: 'Carol', bankId: 'bank-b' });
    await t.ledger.createAccount({ id: 'carol-EUR', participantId: 'carol', currency: 'EUR' });
    await t.ledger.pay({ id: 'fund-carol', debitAccountId: 'bank-b-issuance-EUR', creditAccountId: 'carol-EUR', currency: 'EUR', amount: '1000' });
    await t.ledger.pay({ id: 'cap-5', debitAccountId: 'carol-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: '1000' });
    await t.ledger.pay({ id: 'cap-6', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '1000', reserve: true });
    await t.ledger.void('cap-6');
    await t.ledger.commit('cap-1');
    await t.ledger.setNetDebitCap('bank-a', 'EUR', null);
    await expectBalanced(t.store);
  });

  it('closes the window (the next one opens), reports it signed, and the signatures verify with openssl and with ours', async () => {
    const w = await settlement.openWindowId();
    await expect(settlement.report(w, 'json')).rejects.toMatchObject({ code: 'WINDOW_STATE' });
    const { closed, opened } = await settlement.closeWindow();
    expect([closed, opened]).toEqual([w, w + 1n]);
    // A payment now lands in the new window.
    await t.ledger.pay({ id: 'after-close', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '1' });
    expect((await t.ledger.transfer('after-close')).windowId).toBe(opened);

    const json = await settlement.report(closed, 'json');
    const parsed = JSON.parse(json.body.toString('utf8')) as { windowId: string; positions: { bankId: string; net: string }[]; totals: { currency: string; total: string }[] };
    expect(parsed.windowId).toBe(closed.toString());
    // 2500 + 2000 + 500 from A to B; 1000 from B to A.
    expect(parsed.positions.map((p) => [p.bankId, p.net])).toEqual([
      ['bank-a', '-4000'],
      ['bank-b', '4000'],
    ]);
    expect(parsed.totals).toEqual([{ currency: 'EUR', total: '0' }]);
    const csv = await settlement.report(closed, 'csv');
    expect(csv.body.toString('utf8')).toBe(`window_id,bank_id,currency,net_minor_units,direction\r\n${closed},bank-a,EUR,-4000,pays\r\n${closed},bank-b,EUR,4000,receives\r\n`);

    for (const r of [json, csv]) {
      const ossl = opensslVerify(`${engineName}-${r.format}`, r.body, r.signature);
      expect(ossl).toMatchObject({ ok: true });
      const ours = await verifyReport(r, [trustAnchorFromCertificate(parseCertificate(chain.root.der))]);
      expect(ours.valid).toBe(true);
      // One byte changed in the report: both verifiers refuse it.
      const tampered = Buffer.from(r.body);
      tampered.writeUInt8(tampered.readUInt8(tampered.length - 3) ^ 0x01, tampered.length - 3);
      expect(opensslVerify(`${engineName}-${r.format}-tampered`, tampered, r.signature).ok).toBe(false);
      expect((await verifyReport({ ...r, body: tampered }, [trustAnchorFromCertificate(parseCertificate(chain.root.der))])).valid).toBe(false);
    }
    // Asked again: the stored report, byte for byte.
    expect((await settlement.report(closed, 'json')).signature.equals(json.signature)).toBe(true);
  });

  it('settles a closed window once; an open or settled window cannot be settled', async () => {
    const w = (await settlement.openWindowId()) - 1n;
    const settled = await settlement.settle(w);
    expect(settled.states.map((s) => s.state)).toEqual(['open', 'closed', 'settled']);
    await expect(settlement.settle(w)).rejects.toMatchObject({ code: 'WINDOW_STATE' });
    await expect(settlement.settle(await settlement.openWindowId())).rejects.toMatchObject({ code: 'WINDOW_STATE' });
    await expect(settlement.settle(999n)).rejects.toMatchObject({ code: 'UNKNOWN_WINDOW' });
  });
});
