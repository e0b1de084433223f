import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignatureHeader } from '../../../src/api/callback-signature';
import { STORE_ENGINES } from '../../store/engines';
import { expectBalanced } from '../../mps/support';
import { toPem } from '../../hsm/support';
import { ALICE, LOW, LOW_LEVEL_CAP, UNKNOWN, schemaErrors, startMpsApiFixture, type MpsApiFixture } from './fixture';

/**
 * The MPS REST API over a real socket on both engines: a merchant's offer is approved on the "SIM" and paid once,
 * the merchant's signed webhook verifies with openssl, Idempotency-Key replays and conflicts, the issue's bad
 * inputs each refused with their code and nothing booked, caps by security level, roles, refunds, one-time
 * tickets redeemed by a PSP, settlement reports signed and checked with openssl cms. Answers are checked against
 * the OpenAPI 3.1 document with python3-jsonschema.
 */

type Obj = Record<string, unknown>;
const scratch = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'mps-api-'));

describe.each(STORE_ENGINES)('MPS REST API on %s', (engineName, engine) => {
  let f: MpsApiFixture;
  let openapi: Obj;
  let n = 0;
  const idem = (): string => `idem-${engineName}-${(n += 1)}-${Date.now()}`;

  beforeAll(async () => {
    f = await startMpsApiFixture(engine, engineName);
    openapi = (await (await fetch(`${f.url}/mps/v1/openapi.json`)).json()) as Obj;
  }, 60_000);
  afterAll(async () => f?.close());
  beforeEach(() => {
    f.sim.behaviour = 'sign';
  });

  async function call(method: string, path: string, options: { key?: string | null; body?: unknown; idempotencyKey?: string | null } = {}): Promise<{ status: number; json: Obj; type: string; headers: Headers }> {
    const key = options.key === undefined ? f.keys.shop : options.key;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (method === 'POST' && options.idempotencyKey !== null) headers['idempotency-key'] = options.idempotencyKey ?? idem();
    const res = await fetch(`${f.url}/mps/v1${path}`, { method, headers, ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : method === 'POST' ? { body: '{}' } : {}) });
    const text = await res.text();
    return { status: res.status, json: (text === '' ? {} : JSON.parse(text)) as Obj, type: res.headers.get('content-type') ?? '', headers: res.headers };
  }

  const offerBody = (over: Obj = {}): Obj => ({ payerMsisdn: ALICE, amount: '1250', currency: 'EUR', reference: `INV-${n}`, expiresInSeconds: 60, ...over });

  async function settled(id: string, key = f.keys.shop): Promise<Obj> {
    for (let i = 0; i < 100; i++) {
      const got = await call('GET', `/offers/${id}`, { key });
      if (['paid', 'refused', 'cancelled', 'expired', 'failed'].includes(got.json.state as string)) return got.json;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`offer ${id} did not end`);
  }

  async function hookFor(id: string, state: string): Promise<{ signature: string; body: Buffer }> {
    for (let i = 0; i < 100; i++) {
      const hook = f.hooks.find((h) => {
        const event = JSON.parse(h.body.toString()) as { type: string; offer: { id: string } };
        return event.offer.id === id && event.type === `offer.${state}`;
      });
      if (hook !== undefined) return hook;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no webhook offer.${state} for ${id}`);
  }

  const balance = async (account: string): Promise<bigint> => (await f.t.ledger.account(account)).posted;

  function expectProblem(res: { status: number; json: Obj; type: string }, status: number, code: string): void {
    expect({ status: res.status, code: res.json.code }).toEqual({ status, code });
    expect(res.type).toBe('application/problem+json');
    expect(schemaErrors(openapi, [{ schema: 'Problem', instance: res.json }])).toEqual([[]]);
  }

  it('serves an OpenAPI 3.1 document whose every $ref resolves, and the callback key as PEM', async () => {
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths as Obj)).toEqual(expect.arrayContaining(['/offers', '/offers/{offerId}', '/offers/{offerId}/cancel', '/offers/{offerId}/refunds', '/tickets', '/tickets/redeem', '/settlement/windows', '/settlement/windows/{windowId}/report.csv.p7s']));
    const schemas = Object.keys((openapi.components as { schemas: Obj }).schemas);
    for (const ref of JSON.stringify(openapi).match(/#\/components\/schemas\/\w+/g) ?? []) expect(schemas).toContain(ref.split('/').pop());
    const pem = await (await fetch(`${f.url}/mps/v1/callback-key.pem`)).text();
    expect(pem).toBe(toPem(f.signer.publicKey, 'PUBLIC KEY'));
  });

  it('pays an offer approved on the SIM, books once, and sends a webhook that openssl verifies with the published key', async () => {
    const before = await balance('alice-EUR');
    const made = await call('POST', '/offers', { body: offerBody() });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ state: 'created', amount: '1250', currency: 'EUR', payerMsisdn: ALICE, merchant: 'shop' });
    expect(schemaErrors(openapi, [{ schema: 'Offer', instance: made.json }])).toEqual([[]]);
    const done = await settled(made.json.id as string);
    expect(done).toMatchObject({ state: 'paid', transferId: `offer.${made.json.id as string}`, code: null });
    expect(await balance('alice-EUR')).toBe(before - 1250n);
    await expectBalanced(f.t.store);

    const hook = await hookFor(made.json.id as string, 'paid');
    expect(schemaErrors(openapi, [{ schema: 'WebhookEvent', instance: JSON.parse(hook.body.toString()) }])).toEqual([[]]);
    expect(hook.signature).toMatch(/^t=\d+,alg=ES256,keyid=[0-9a-f]{32},sig=[A-Za-z0-9+/=]+$/);
    const t = /t=(\d+)/.exec(hook.signature)?.[1] as string;
    const sig = /sig=([^,]+)$/.exec(hook.signature)?.[1] as string;
    const base = join(scratch, `${engineName}-hook`);
    writeFileSync(`${base}.pem`, await (await fetch(`${f.url}/mps/v1/callback-key.pem`)).text());
    writeFileSync(`${base}.sig`, Buffer.from(sig, 'base64'));
    writeFileSync(`${base}.data`, Buffer.concat([Buffer.from(`${t}.`), hook.body]));
    const verified = spawnSync('openssl', ['dgst', '-sha256', '-verify', `${base}.pem`, '-signature', `${base}.sig`, `${base}.data`], { encoding: 'utf8' });
    expect(verified.stdout.trim()).toBe('Verified OK');
    // The same signature over another body does not verify.
    writeFileSync(`${base}.data`, Buffer.concat([Buffer.from(`${t}.`), Buffer.from(hook.body.toString().replace('"paid"', '"failed"'))]));
    expect(spawnSync('openssl', ['dgst', '-sha256', '-verify', `${base}.pem`, '-signature', `${base}.sig`, `${base}.data`], { encoding: 'utf8' }).stdout.trim()).toBe('Verification failure');
    expect(verifySignatureHeader(hook.signature, hook.body, f.signer.publicKey)).toBe(true);
  }, 30_000);

  it('links in the audit log the approval\'s signature, the offer it signs and the ledger postings', async () => {
    const made = await call('POST', '/offers', { body: offerBody({ amount: '333' }) });
    const id = made.json.id as string;
    // The webhook leaves after the paid state and its audit entry are written (the state row comes first).
    await hookFor(id, 'paid');
    const store = f.t.store;
    const entries = await store.audit.entriesBySeq(await store.audit.seqsBySubject(`offer:${id}`, 20));
    expect(entries.map((e) => e.outcome)).toEqual(['sent', 'approved', 'paid']);
    const signature = (await store.offers.states(id)).find((s) => s.state === 'approved')?.signature as Buffer;
    const approved = entries.find((e) => e.outcome === 'approved');
    expect(approved?.actorId).toBe(ALICE);
    expect(approved?.evidenceHash?.toString('hex')).toBe(createHash('sha256').update(signature).digest('hex'));
    const offerHash = createHash('sha256').update((await store.offers.offer(id))?.canonical as Buffer).digest('hex');
    const paid = JSON.parse(entries.find((e) => e.outcome === 'paid')?.details ?? '{}') as { offerHash: string; signatureHash: string; transfer: string; postings: { account: string; amount: string }[] };
    expect(paid).toMatchObject({ offerHash, signatureHash: createHash('sha256').update(signature).digest('hex'), transfer: `offer.${id}` });
    expect(paid.postings.map((p) => [p.account, p.amount]).sort()).toEqual([
      ['alice-EUR', '-333'],
      ['shop-EUR', '333'],
    ]);
  }, 30_000);

  it('Idempotency-Key: the same request again gives the earlier answer (one offer, paid once); another request with that key is 409', async () => {
    const key = idem();
    const body = offerBody({ reference: 'IDEM-1' });
    const first = await call('POST', '/offers', { body, idempotencyKey: key });
    expect(first.status).toBe(201);
    await settled(first.json.id as string);
    const before = await balance('alice-EUR');
    const again = await call('POST', '/offers', { body, idempotencyKey: key });
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await call('POST', '/offers', { body: { ...body, amount: '99999' }, idempotencyKey: key });
    expectProblem(other, 409, 'IDEMPOTENCY_CONFLICT');
    expectProblem(await call('POST', '/offers', { body, idempotencyKey: null }), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    // Two identical requests at the same moment (a client's retry racing its first try): one offer, paid once. Found
    // by this test: the twin was judged while the first ran, and with expiresInSeconds its expiry differed by a few
    // ms, so it was refused as IDEMPOTENCY_CONFLICT.
    const twinKey = idem();
    const twins = await Promise.all([0, 1].map(() => call('POST', '/offers', { body: { ...body, reference: 'IDEM-TWIN', amount: '10' }, idempotencyKey: twinKey })));
    expect(twins.map((r) => r.status)).toEqual([201, 201]);
    expect(twins[0]?.json.id).toBe(twins[1]?.json.id);
    expect(await settled(twins[0]?.json.id as string)).toMatchObject({ state: 'paid' });
    await new Promise((r) => setTimeout(r, 200));
    expect(await balance('alice-EUR')).toBe(before - 10n);
  }, 30_000);

  it.each([
    ['a negative amount', { amount: '-5' }, 400, 'INVALID_AMOUNT'],
    ['a zero amount', { amount: '0' }, 400, 'INVALID_AMOUNT'],
    ['a decimal amount', { amount: '12.50' }, 400, 'INVALID_AMOUNT'],
    ['an amount as a JSON number', { amount: 1250 }, 400, 'INVALID_AMOUNT'],
    ['an amount beyond 64-bit', { amount: '9223372036854775808' }, 400, 'AMOUNT_OUT_OF_RANGE'],
    ['an amount far beyond 64-bit', { amount: '1'.repeat(40) }, 400, 'AMOUNT_OUT_OF_RANGE'],
    ['an unknown currency', { currency: 'XXY' }, 400, 'UNKNOWN_CURRENCY'],
    ['a currency in lower case', { currency: 'eur' }, 400, 'UNKNOWN_CURRENCY'],
    ['an unknown MSISDN', { payerMsisdn: UNKNOWN }, 404, 'UNKNOWN_CLIENT'],
    ['an MSISDN without +', { payerMsisdn: '3725550001' }, 400, 'INVALID_REQUEST'],
    ['an expired offer', { expiresInSeconds: undefined, expiresAt: '2020-01-01T00:00:00Z' }, 410, 'OFFER_EXPIRED'],
    ['an offer living too long', { expiresInSeconds: 86_400 }, 400, 'INVALID_REQUEST'],
    ['an unknown member', { ammount: '5' }, 400, 'INVALID_REQUEST'],
    ['another currency than the merchant account', { currency: 'USD' }, 422, 'CURRENCY_MISMATCH'],
    ['a level-2 approval above the cap', { payerMsisdn: LOW, amount: (LOW_LEVEL_CAP + 1n).toString() }, 422, 'AMOUNT_OVER_LEVEL_LIMIT'],
  ])('refuses %s with its code and books nothing', async (_what, over, status, code) => {
    const before = await balance('alice-EUR');
    const res = await call('POST', '/offers', { body: JSON.parse(JSON.stringify(offerBody(over as Obj))) as Obj });
    expectProblem(res, status, code);
    await new Promise((r) => setTimeout(r, 50));
    expect(await balance('alice-EUR')).toBe(before);
    expect((await f.t.ledger.account('alice-EUR')).reserved).toBe(0n);
  });

  it('refuses a body that is not JSON, or not an object, as INVALID_REQUEST; an unknown path is 404', async () => {
    expectProblem(await call('POST', '/offers', { body: '{"amount":' }), 400, 'INVALID_REQUEST');
    expectProblem(await call('POST', '/offers', { body: '[1,2]' }), 400, 'INVALID_REQUEST');
    expectProblem(await call('GET', '/nothing/here'), 404, 'NOT_FOUND');
  });

  it('pays at security level 2 up to the agreement cap', async () => {
    const made = await call('POST', '/offers', { body: offerBody({ payerMsisdn: LOW, amount: LOW_LEVEL_CAP.toString() }) });
    expect(made.status).toBe(201);
    expect((await settled(made.json.id as string)).state).toBe('paid');
  }, 30_000);

  it('authenticates every call: no key, a wrong secret, a PSP key on a merchant operation, another merchant\'s offer', async () => {
    expectProblem(await call('GET', '/offers/x', { key: null }), 401, 'UNAUTHENTICATED');
    expectProblem(await call('GET', '/offers/x', { key: `${f.keys.shop.split('.')[0] as string}.${'A'.repeat(43)}` }), 401, 'UNAUTHENTICATED');
    expectProblem(await call('POST', '/offers', { key: f.keys.psp, body: offerBody() }), 403, 'FORBIDDEN');
    expectProblem(await call('GET', '/settlement/windows', { key: f.keys.shop }), 403, 'FORBIDDEN');
    const made = await call('POST', '/offers', { body: offerBody() });
    await settled(made.json.id as string);
    expectProblem(await call('GET', `/offers/${made.json.id as string}`, { key: f.keys.shop2 }), 404, 'UNKNOWN_OFFER');
    expectProblem(await call('POST', `/offers/${made.json.id as string}/refunds`, { key: f.keys.shop2, body: { amount: '1' } }), 404, 'UNKNOWN_OFFER');
  }, 30_000);

  it('ends with a clear code and a webhook when the citizen cancels; the merchant may cancel an offer still on the phone, and nothing is booked', async () => {
    const before = await balance('alice-EUR');
    f.sim.behaviour = 'cancel';
    const refused = await call('POST', '/offers', { body: offerBody() });
    expect(await settled(refused.json.id as string)).toMatchObject({ state: 'cancelled', code: 'APPROVAL_CANCELLED' });
    await hookFor(refused.json.id as string, 'cancelled');

    f.sim.behaviour = 'sign';
    let release: () => void = () => undefined;
    f.hold = { msisdn: ALICE, release: new Promise<void>((r) => (release = r)) };
    const made = await call('POST', '/offers', { body: offerBody() });
    for (let i = 0; i < 50 && (await call('GET', `/offers/${made.json.id as string}`)).json.state !== 'sent'; i++) await new Promise((r) => setTimeout(r, 20));
    const cancelled = await call('POST', `/offers/${made.json.id as string}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ state: 'cancelled', code: 'APPROVAL_CANCELLED' });
    release();
    f.hold = undefined;
    await hookFor(made.json.id as string, 'cancelled');
    await new Promise((r) => setTimeout(r, 300));
    expect((await call('GET', `/offers/${made.json.id as string}`)).json.state).toBe('cancelled');
    expect(await balance('alice-EUR')).toBe(before);
    expect((await f.t.ledger.account('alice-EUR')).reserved).toBe(0n);
    // A paid offer cannot be cancelled.
    const paid = await call('POST', '/offers', { body: offerBody() });
    await settled(paid.json.id as string);
    expectProblem(await call('POST', `/offers/${paid.json.id as string}/cancel`), 409, 'OFFER_STATE');
  }, 30_000);

  it('ends an offer no node finished (its node stopped) as expired once its time is past, and books nothing', async () => {
    const before = await balance('alice-EUR');
    let release: () => void = () => undefined;
    f.hold = { msisdn: ALICE, release: new Promise<void>((r) => (release = r)) };
    const made = await call('POST', '/offers', { body: offerBody({ expiresInSeconds: 1 }) });
    const id = made.json.id as string;
    expect((await f.offers.recover()).ended).toBe(0);
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await f.offers.recover()).ended).toBe(1);
    expect((await call('GET', `/offers/${id}`)).json).toMatchObject({ state: 'expired', code: 'APPROVAL_TIMEOUT' });
    await hookFor(id, 'expired');
    // The phone answers late: nothing changes, nothing is booked.
    release();
    f.hold = undefined;
    await new Promise((r) => setTimeout(r, 300));
    expect((await call('GET', `/offers/${id}`)).json.state).toBe('expired');
    expect(await balance('alice-EUR')).toBe(before);
    expect((await f.t.ledger.account('alice-EUR')).reserved).toBe(0n);
    expect((await f.offers.recover()).ended).toBe(0);
  }, 30_000);

  it('refunds a paid offer as a new linked transfer, never beyond the payment', async () => {
    const made = await call('POST', '/offers', { body: offerBody({ amount: '2000' }) });
    await settled(made.json.id as string);
    const before = await balance('alice-EUR');
    const refund = await call('POST', `/offers/${made.json.id as string}/refunds`, { body: { amount: '1500' } });
    expect(refund.status).toBe(201);
    expect(refund.json).toMatchObject({ kind: 'refund', amount: '1500', linkedTransferId: `offer.${made.json.id as string}` });
    expect(schemaErrors(openapi, [{ schema: 'Transfer', instance: refund.json }])).toEqual([[]]);
    expect(await balance('alice-EUR')).toBe(before + 1500n);
    expectProblem(await call('POST', `/offers/${made.json.id as string}/refunds`, { body: { amount: '501' } }), 422, 'REFUND_EXCEEDS_ORIGINAL');
    expectProblem(await call('POST', `/offers/${made.json.id as string}/refunds`, { body: { amount: '-1' } }), 400, 'INVALID_AMOUNT');
    await expectBalanced(f.t.store);
  }, 30_000);

  it('lets a PSP redeem a one-time ticket into an offer the client approves; a used or forged ticket is refused', async () => {
    // The issuer's back end asks the ADS for the client's ticket; only a bank may, and only for its own accounts.
    const asked = await call('POST', '/tickets', { key: f.keys.bank, body: { clientMsisdn: ALICE, accountId: 'alice-EUR', ttlSeconds: 60 } });
    expect(asked.status).toBe(201);
    const ticket = asked.json as { code: string; qr: string; expiresAt: string };
    expect(ticket.code).toMatch(/^\d{8}$/);
    expect(ticket.qr).toContain(`.${ticket.code}.bank-a.`);
    // Nothing sensitive in the QR: no number, no account.
    expect(ticket.qr).not.toContain(ALICE.slice(1));
    expect(ticket.qr).not.toContain('alice');
    expect(new Date(ticket.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    expectProblem(await call('POST', '/tickets', { key: f.keys.psp, body: { clientMsisdn: ALICE, accountId: 'alice-EUR' } }), 403, 'FORBIDDEN');
    expectProblem(await call('POST', '/tickets', { key: f.keys.bank, body: { clientMsisdn: ALICE, accountId: 'shop-EUR' } }), 404, 'UNKNOWN_ACCOUNT');
    expectProblem(await call('POST', '/tickets', { key: f.keys.bank, body: { clientMsisdn: 'alice', accountId: 'alice-EUR' } }), 400, 'INVALID_REQUEST');
    const body = { ticket: ticket.qr, merchant: 'shop', amount: '700', currency: 'EUR', reference: 'POS-1' };
    const made = await call('POST', '/tickets/redeem', { key: f.keys.psp, body });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ payerMsisdn: ALICE, merchant: 'shop', amount: '700' });
    expect((await settled(made.json.id as string)).state).toBe('paid');
    expectProblem(await call('POST', '/tickets/redeem', { key: f.keys.psp, body }), 409, 'TICKET_USED');
    // An altered QR is a forgery before it is a used ticket.
    expectProblem(await call('POST', '/tickets/redeem', { key: f.keys.psp, body: { ...body, ticket: `${ticket.qr.slice(0, -4)}AAAA` } }), 422, 'TICKET_INVALID');
    const fresh = await f.tickets.issue('bank-a', { accountId: 'alice-EUR', clientMsisdn: ALICE });
    expectProblem(await call('POST', '/tickets/redeem', { key: f.keys.psp, body: { ...body, ticket: fresh.qr.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAA') } }), 422, 'TICKET_INVALID');
    expectProblem(await call('POST', '/tickets/redeem', { key: f.keys.psp, body: { ...body, ticket: fresh.code, merchant: 'shop2' } }), 403, 'FORBIDDEN');
    // The refused requests left the fresh ticket usable.
    expect((await call('POST', '/tickets/redeem', { key: f.keys.psp, body: { ...body, ticket: fresh.code } })).status).toBe(201);
  }, 30_000);

  it('gives banks the settlement windows and the reports, signed: openssl cms verifies the detached .p7s over the JSON and CSV', async () => {
    const list = await call('GET', '/settlement/windows', { key: f.keys.bank });
    expect(schemaErrors(openapi, [{ schema: 'WindowList', instance: list.json }])).toEqual([[]]);
    const closed = await call('POST', '/settlement/windows/close', { key: f.keys.bank });
    expect(closed.status).toBe(200);
    const id = closed.json.closed as string;
    const window = await call('GET', `/settlement/windows/${id}`, { key: f.keys.bank });
    expect(window.json).toMatchObject({ id, state: 'closed' });
    expect(schemaErrors(openapi, [{ schema: 'Window', instance: window.json }])).toEqual([[]]);
    const root = join(scratch, `${engineName}-bank-root.pem`);
    writeFileSync(root, toPem(Buffer.from(f.bankChain.root.der), 'CERTIFICATE'));
    for (const format of ['json', 'csv']) {
      const get = async (suffix: string): Promise<Buffer> => {
        const res = await fetch(`${f.url}/mps/v1/settlement/windows/${id}/report.${suffix}`, { headers: { authorization: `Bearer ${f.keys.bank}` } });
        expect(res.status).toBe(200);
        return Buffer.from(await res.arrayBuffer());
      };
      const body = await get(format);
      const sig = await get(`${format}.p7s`);
      const base = join(scratch, `${engineName}-report`);
      writeFileSync(`${base}.${format}`, body);
      writeFileSync(`${base}.${format}.p7s`, sig);
      const r = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', `${base}.${format}.p7s`, '-content', `${base}.${format}`, '-CAfile', root, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
      expect(r.stderr).toMatch(/Verification successful/);
    }
    const report = await fetch(`${f.url}/mps/v1/settlement/windows/${id}/report.json`, { headers: { authorization: `Bearer ${f.keys.bank}` } });
    expect(JSON.parse(await report.text()) as Obj).toMatchObject({ report: 'settlement', windowId: id });
    expectProblem(await call('GET', '/settlement/windows/999999/report.json', { key: f.keys.bank }), 404, 'UNKNOWN_WINDOW');
    expectProblem(await call('GET', `/settlement/windows/${(BigInt(id) + 1n).toString()}/report.json`, { key: f.keys.bank }), 409, 'WINDOW_STATE');
  }, 30_000);

  it('retries a webhook the merchant did not take, signing each attempt afresh', async () => {
    f.hookAnswers.push(500, 503);
    const made = await call('POST', '/offers', { body: offerBody() });
    await settled(made.json.id as string);
    const hook = await hookFor(made.json.id as string, 'paid');
    expect(verifySignatureHeader(hook.signature, hook.body, f.signer.publicKey)).toBe(true);
    expect(f.hookAnswers).toEqual([]);
  }, 30_000);
});
