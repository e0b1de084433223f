import { execFileSync } from 'node:child_process';
import { cliEnv, runMssp, startMssp } from '../support/mssp-cli';
import { TEST_DATABASE_URL } from '../support/postgres';

/** One clear line on stderr, starting "mssp:", and a non-zero exit. */
function expectOneErrorLine(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mssp: /);
  expect(lines[0]).toMatch(pattern);
}

describe('mssp CLI', () => {
  it('--help lists the commands', () => {
    const r = runMssp(['--help'], cliEnv());
    expect(r.code).toBe(0);
    for (const command of ['init', 'start', 'migrate', 'hsm', 'config']) expect(r.stdout).toContain(command);
  });

  // PostgreSQL runs in a schema of its own, so that no other run's migrations are seen and nothing is left behind.
  const cliSchema = `cli_${process.pid}_${Date.now().toString(36)}`;
  afterAll(async () => {
    const { openThrowawayPostgresStore } = await import('../../src/store/testing');
    const store = await openThrowawayPostgresStore({ databaseUrl: TEST_DATABASE_URL, schema: cliSchema });
    await store.close();
  });

  describe.each([
    ['SQLite', {} as Record<string, string>],
    ['PostgreSQL', { DATABASE_URL: TEST_DATABASE_URL, MSSP_DATABASE_SCHEMA: cliSchema }],
  ])('on %s', (_engine, extra) => {
    const env = cliEnv(extra);

    it('init makes the token and the store, and is safe to run again', () => {
      const first = runMssp(['init'], env);
      expect(first.stderr).toMatch(/created SoftHSM2 token "mssp"/);
      expect(first.code).toBe(0);
      const again = runMssp(['init'], env);
      expect(again.code).toBe(0);
      expect(again.stderr).toMatch(/kept SoftHSM2 token "mssp"/);
      expect(again.stderr).toMatch(/store schema is up to date/);
      const status = runMssp(['migrate', '--status'], env);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/^applied {2}0001_/m);
      expect(status.stdout).not.toMatch(/pending/);
    });

    it('start serves /healthz with the store and the token checked, and stops on SIGTERM', async () => {
      const platform = await startMssp(env);
      try {
        const res = await fetch(`${platform.url}/healthz`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
        expect(body).toMatchObject({ status: 'ok', checks: { store: { status: 'ok' }, hsm: { status: 'ok' } } });
      } finally {
        expect(await platform.stop()).toBe(0);
      }
    });

    it('hsm keys lists an object made by pkcs11-tool, showing it sensitive and not extractable', () => {
      execFileSync(
        'pkcs11-tool',
        ['--module', '/usr/lib/softhsm/libsofthsm2.so', '--token-label', 'mssp', '--login', '--pin', '1234',
          '--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'cli-listed', '--id', 'c1a0', '--sensitive'],
        { env: { ...env, SOFTHSM2_CONF: `${env.MSSP_DATA_DIR}/softhsm/softhsm2.conf` }, stdio: 'pipe' },
      );
      const r = runMssp(['hsm', 'keys'], env);
      expect(r.code).toBe(0);
      const row = r.stdout.split('\n').find((l) => l.startsWith('cli-listed') && /private/i.test(l));
      expect(row).toBeDefined();
      expect(row).toMatch(/c1a0/);
      expect(row).toMatch(/\byes\s+no$/);
    });
  });

  describe('bad configuration gives one clear error line', () => {
    const env = cliEnv();
    beforeAll(() => {
      expect(runMssp(['init'], env).code).toBe(0);
    });

    it('a missing PKCS#11 module path', () => {
      expectOneErrorLine(runMssp(['start'], { ...env, MSSP_PKCS11_MODULE: '/nowhere/libmissing-pkcs11.so' }), /\/nowhere\/libmissing-pkcs11\.so/);
    });

    it('a missing token', () => {
      expectOneErrorLine(runMssp(['start'], { ...env, MSSP_PKCS11_TOKEN: 'no-such-token' }), /no-such-token/);
    });

    it('a wrong PIN', () => {
      const r = runMssp(['start'], { ...env, MSSP_PKCS11_PIN: '0000' });
      expectOneErrorLine(r, /CKR_PIN_INCORRECT/);
      expect(r.stderr).not.toContain('0000');
    });

    it('a DATABASE_URL nobody answers at, without printing its password', () => {
      const started = Date.now();
      const r = runMssp(['start'], { ...env, DATABASE_URL: 'postgres://app:pw-secret-1@127.0.0.1:1/mssp' });
      expectOneErrorLine(r, /127\.0\.0\.1:1|connect/i);
      expect(r.stderr).not.toContain('pw-secret-1');
      expect(Date.now() - started).toBeLessThan(20_000);
    });

    it('a DATABASE_URL naming a database that does not exist', () => {
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = '/no_such_database_here';
      expectOneErrorLine(runMssp(['start'], { ...env, DATABASE_URL: url.toString() }), /no_such_database_here/);
    });

    it('a malformed setting', () => {
      expectOneErrorLine(runMssp(['start'], { ...env, MSSP_HTTP_PORT: 'eighty' }), /MSSP_HTTP_PORT/);
    });
  });
});

describe('mssp conformance pkits', () => {
  it('runs every PKITS case through our path validation and ends with the totals line', () => {
    const r = runMssp(['conformance', 'pkits'], cliEnv(), 120_000);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(250);
    expect(lines[lines.length - 1]).toBe('249 passed, 0 failed, 0 skipped');
    expect(lines.filter((l) => l.startsWith('PASS '))).toHaveLength(249);
  });

  it('exits non-zero with one error line when the PKITS folder is missing', () => {
    expectOneErrorLine(runMssp(['conformance', 'pkits', '--dir', '/nonexistent-pkits'], cliEnv()), /nonexistent-pkits/);
  });
});
