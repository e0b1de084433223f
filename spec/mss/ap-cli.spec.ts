import { cliEnv, runMssp } from '../support/mssp-cli';

describe('mssp ap add|list|disable', () => {
  const env = cliEnv();

  it('adds an AP with the password from the environment, lists it without the hash, and disables it', () => {
    const add = runMssp(
      ['ap', 'add', '--ap-id', 'http://ap.example/tax', '--profile', 'http://mssp.example/profiles/sign', '--ip', '192.0.2.0/24', '--rate', '20'],
      { ...env, MSSP_AP_PASSWORD: 'a long AP password' },
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toContain('AP http://ap.example/tax added');

    const list = runMssp(['ap', 'list', '--json'], env);
    expect(list.code).toBe(0);
    const shown = JSON.parse(list.stdout.trim()) as Record<string, unknown>;
    expect(shown).toMatchObject({ apId: 'http://ap.example/tax', status: 'active', ipAllow: ['192.0.2.0/24'], ratePerSecond: 20 });
    expect(list.stdout).not.toMatch(/scrypt|a long AP password/);

    expect(runMssp(['ap', 'disable', 'http://ap.example/tax'], env).code).toBe(0);
    expect(runMssp(['ap', 'list'], env).stdout).toMatch(/http:\/\/ap\.example\/tax\s+disabled/);
  });

  it('refuses to add an AP without MSSP_AP_PASSWORD, and a duplicate', () => {
    const noPassword = runMssp(['ap', 'add', '--ap-id', 'http://ap.example/x', '--profile', 'http://p.example/s'], env);
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toMatch(/MSSP_AP_PASSWORD/);
    const args = ['ap', 'add', '--ap-id', 'http://ap.example/dup', '--profile', 'http://p.example/s'];
    expect(runMssp(args, { ...env, MSSP_AP_PASSWORD: 'a long AP password' }).code).toBe(0);
    const dup = runMssp(args, { ...env, MSSP_AP_PASSWORD: 'a long AP password' });
    expect(dup.code).not.toBe(0);
  });

  it('grants the registration permission (MSS_Registration) only when asked, and refuses an unknown permission', () => {
    const password = { ...env, MSSP_AP_PASSWORD: 'a long AP password' };
    expect(runMssp(['ap', 'add', '--ap-id', 'http://ap.example/bank', '--profile', 'http://p.example/s', '--permission', 'registration'], password).code).toBe(0);
    const unknown = runMssp(['ap', 'add', '--ap-id', 'http://ap.example/bank2', '--profile', 'http://p.example/s', '--permission', 'everything'], password);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown permission "everything"/);
    const rows = runMssp(['ap', 'list', '--json'], env)
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { apId: string; permissions: string[] });
    expect(rows.find((r) => r.apId === 'http://ap.example/bank')?.permissions).toEqual(['registration']);
    expect(rows.find((r) => r.apId === 'http://ap.example/tax')?.permissions).toEqual([]);
    expect(rows.find((r) => r.apId === 'http://ap.example/bank2')).toBeUndefined();
  });

  it('disabling an unknown AP fails', () => {
    const r = runMssp(['ap', 'disable', 'http://nobody.example'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no AP/);
  });
});
