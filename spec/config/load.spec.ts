import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { ConfigError, configTableMarkdown, CONFIG_TABLE_BEGIN, CONFIG_TABLE_END, describeConfig, loadConfig } from '../../src/config';

const scratch = (): string => mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'config-'));

describe('loadConfig', () => {
  it('fills documented defaults, derived paths under the data folder', () => {
    const { config, sources } = loadConfig({ env: { MSSP_DATA_DIR: '/srv/mssp' } });
    expect(config.dataDir).toBe('/srv/mssp');
    expect(config.sqliteFile).toBe('/srv/mssp/mssp.sqlite');
    expect(config.softhsmConf).toBe('/srv/mssp/softhsm/softhsm2.conf');
    expect(config.httpPort).toBe(8080);
    expect(config.hsmPoolSize).toBe(4);
    expect(config.databaseUrl).toBeUndefined();
    expect(sources.dataDir).toBe('env');
    expect(sources.sqliteFile).toBe('default');
  });

  it('reads a JSON config file and lets the environment win over it', () => {
    const file = join(scratch(), 'mssp.json');
    writeFileSync(file, JSON.stringify({ httpPort: 9001, pkcs11Token: 'from-file', hsmPoolSize: '8' }));
    const { config, sources } = loadConfig({ env: { MSSP_CONFIG_FILE: file, MSSP_PKCS11_TOKEN: 'from-env' } });
    expect(config.httpPort).toBe(9001);
    expect(config.hsmPoolSize).toBe(8);
    expect(config.pkcs11Token).toBe('from-env');
    expect(sources.httpPort).toBe('file');
    expect(sources.pkcs11Token).toBe('env');
  });

  it.each([
    [{ MSSP_HTTP_PORT: '70000' }, 'httpPort', /MSSP_HTTP_PORT = "70000" must be an integer from 0 to 65535/],
    [{ MSSP_HSM_POOL_SIZE: 'four' }, 'hsmPoolSize', /MSSP_HSM_POOL_SIZE/],
    [{ MSSP_LOG_LEVEL: 'loud' }, 'logLevel', /must be one of fatal, error/],
    [{ DATABASE_URL: 'mysql://u:hunter2@h/db' }, 'databaseUrl', /postgres:\/\/ scheme/],
    [{ DATABASE_URL: 'not a url' }, 'databaseUrl', /must be a URL/],
    [{ MSSP_TLS_CERT: '/etc/cert.pem' }, 'tlsKeyFile', /must be set together/],
  ])('refuses %j naming the bad key', (env, key, message) => {
    let caught: unknown;
    try {
      loadConfig({ env });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe(key);
    expect((caught as ConfigError).message).toMatch(message);
    // A secret given in a bad value is never echoed back.
    expect((caught as ConfigError).message).not.toContain('hunter2');
  });

  it('refuses an unknown key in the config file and a file that is not JSON', () => {
    const dir = scratch();
    const unknownKey = join(dir, 'unknown.json');
    writeFileSync(unknownKey, JSON.stringify({ httpPorrt: 1 }));
    expect(() => loadConfig({ env: {}, file: unknownKey })).toThrow(/unknown key "httpPorrt"/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "httpPort": ');
    expect(() => loadConfig({ env: {}, file: broken })).toThrow(/is not valid JSON/);
    expect(() => loadConfig({ env: {}, file: join(dir, 'absent.json') })).toThrow(/cannot be read/);
  });

  it('warns about demo PINs and plain HTTP, and not once they are replaced', () => {
    expect(loadConfig({ env: {} }).warnings).toEqual([
      expect.stringMatching(/MSSP_PKCS11_PIN is the documented demo value/),
      expect.stringMatching(/MSSP_PKCS11_SO_PIN is the documented demo value/),
      expect.stringMatching(/plain HTTP/),
    ]);
    const safe = loadConfig({
      env: { MSSP_PKCS11_PIN: 'x9-long', MSSP_PKCS11_SO_PIN: 'y8-long', MSSP_TLS_CERT: '/c.pem', MSSP_TLS_KEY: '/k.pem' },
    });
    expect(safe.warnings).toEqual([]);
  });

  it('masks secrets when described', () => {
    const loaded = loadConfig({ env: { MSSP_PKCS11_PIN: '987654', DATABASE_URL: 'postgres://app:s3cret@db:5432/mssp' } });
    const shown = JSON.stringify(describeConfig(loaded));
    expect(shown).not.toContain('987654');
    expect(shown).not.toContain('s3cret');
    expect(shown).toContain('postgres://app:********@db:5432/mssp');
  });
});

describe('README configuration table', () => {
  it('is the table generated from the definitions', () => {
    const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
    const begin = readme.indexOf(CONFIG_TABLE_BEGIN);
    const end = readme.indexOf(CONFIG_TABLE_END);
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(begin);
    expect(readme.slice(begin, end + CONFIG_TABLE_END.length)).toBe(configTableMarkdown());
  });
});
