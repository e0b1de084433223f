import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, runMssp } from '../support/mssp-cli';

/** `mssp mps …`: the operator's commands for participants, accounts, merchants, payers, level caps and API keys. */
describe('mssp mps participant|account|merchant|payer|limit|key', () => {
  const env = cliEnv();
  const ok = (args: string[]): string => {
    const r = runMssp(['mps', ...args], env);
    expect({ args, code: r.code, stderr: r.stderr.replace(/^mssp: warning: .*\n?/gm, '') }).toEqual({ args, code: 0, stderr: '' });
    return r.stdout;
  };

  it('sets up a bank, a merchant with its account and webhook, a payer and a level cap, and lists them', () => {
    ok(['participant', 'add', '--id', 'bank-x', '--kind', 'bank', '--name', 'Bank X']);
    ok(['participant', 'add', '--id', 'shop-x', '--kind', 'merchant', '--name', 'Shop X', '--bank', 'bank-x']);
    ok(['participant', 'add', '--id', 'carol', '--kind', 'client', '--name', 'Carol', '--bank', 'bank-x']);
    ok(['account', 'add', '--id', 'shop-x-EUR', '--participant', 'shop-x', '--currency', 'EUR']);
    ok(['account', 'add', '--id', 'carol-EUR', '--participant', 'carol', '--currency', 'EUR']);
    expect(ok(['merchant', 'set', '--id', 'shop-x', '--account', 'shop-x-EUR', '--webhook-url', 'https://shop-x.example/hooks'])).toMatch(/merchant shop-x set/);
    ok(['payer', 'add', '--msisdn', '+3725551234', '--account', 'carol-EUR']);
    expect(ok(['limit', 'set', '--merchant', 'shop-x', '--level', '2', '--currency', 'EUR', '--max', '1500'])).toMatch(/at most 1500 EUR .* level 2/);
    const participants = ok(['participant', 'list', '--json'])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    expect(participants.map((p) => p.id)).toEqual(['bank-x', 'carol', 'shop-x']);
    expect(ok(['merchant', 'list'])).toMatch(/shop-x\s+shop-x-EUR\s+https:\/\/shop-x\.example\/hooks/);
  });

  it('prints an API key once; only its scrypt hash is stored, and the list shows no secret', () => {
    const made = runMssp(['mps', 'key', 'add', '--participant', 'shop-x', '--role', 'merchant', '--label', 'till 1'], env);
    expect(made.code).toBe(0);
    expect(made.stderr).toMatch(/only time the key is shown/);
    const key = made.stdout.trim();
    expect(key).toMatch(/^[a-z0-9]{16}\.[A-Za-z0-9_-]{43}$/);
    const [id, secret] = key.split('.') as [string, string];
    const list = ok(['key', 'list']);
    expect(list).toContain(id);
    expect(list).not.toContain(secret);
    // Nowhere in the data folder (the SQLite file and its WAL) is the secret in clear.
    const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
    for (const file of files(env.MSSP_DATA_DIR as string)) expect(readFileSync(file).includes(secret)).toBe(false);
  });

  it('refuses a merchant account of someone else, an unknown role, a level outside 1-4, an unknown currency', () => {
    const refused = (args: string[], text: RegExp): void => {
      const r = runMssp(['mps', ...args], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(text);
    };
    refused(['merchant', 'set', '--id', 'shop-x', '--account', 'carol-EUR'], /has no account carol-EUR/);
    refused(['key', 'add', '--participant', 'shop-x', '--role', 'admin'], /role must be one of merchant, psp, bank/);
    refused(['limit', 'set', '--merchant', 'shop-x', '--level', '5', '--currency', 'EUR', '--max', '1'], /security level is 1, 2, 3 or 4/);
    refused(['account', 'add', '--id', 'x-XXY', '--participant', 'carol', '--currency', 'XXY'], /ISO 4217/);
  });
});
