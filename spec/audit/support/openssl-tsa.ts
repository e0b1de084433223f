import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { TimeStamper, TimeStampVerifier } from '../../../src/audit';

/**
 * An RFC 3161 TSA made of OpenSSL (`openssl ts -reply`): an implementation independent of ours, standing in for
 * the platform TSA (src/pki/tsa) in the audit tests, and `openssl ts -verify` as the independent check.
 */
export interface OpensslTsa {
  readonly dir: string;
  /** PEM of the root that issued the TSA certificate (for -CAfile). */
  readonly caFile: string;
  readonly stamper: TimeStamper;
  readonly verifier: TimeStampVerifier;
  /** Synchronous stamp, for building logs in memory. */
  stampSync(digest: Buffer): Buffer;
  /** `openssl ts -verify -digest … -in token -token_in -CAfile ca.pem`: exit status and output. */
  verifyWithOpenssl(token: Buffer, digest: Buffer): { status: number | null; output: string };
}

function run(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function makeOpensslTsa(): OpensslTsa {
  const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'tsa-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Audit Test TSA Root', '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  run(['req', '-new', ...ec, '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=Audit Test TSA'], dir);
  writeFileSync(join(dir, 'tsa-ext.cnf'), 'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n');
  run(['x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tsa.pem', '-days', '365', '-extfile', 'tsa-ext.cnf'], dir);
  writeFileSync(join(dir, 'serial'), '01\n');
  writeFileSync(
    join(dir, 'tsa.cnf'),
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `dir = ${dir}`,
      'serial = $dir/serial',
      'crypto_device = builtin',
      'signer_cert = $dir/tsa.pem',
      'signer_key = $dir/tsa.key',
      'signer_digest = sha256',
      'default_policy = 1.3.6.1.4.1.55555.1.1',
      'digests = sha256',
      'accuracy = secs:1',
      'ordering = no',
      'tsa_name = yes',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  let counter = 0;
  const stampSync = (digest: Buffer): Buffer => {
    counter += 1;
    const query = join(dir, `q${counter}.tsq`);
    const token = join(dir, `t${counter}.tst`);
    run(['ts', '-query', '-digest', digest.toString('hex'), '-sha256', '-cert', '-no_nonce', '-out', query], dir);
    run(['ts', '-reply', '-queryfile', query, '-config', join(dir, 'tsa.cnf'), '-token_out', '-out', token], dir);
    return readFileSync(token);
  };
  const verifyWithOpenssl = (token: Buffer, digest: Buffer): { status: number | null; output: string } => {
    counter += 1;
    const file = join(dir, `v${counter}.tst`);
    writeFileSync(file, token);
    const r = spawnSync('openssl', ['ts', '-verify', '-digest', digest.toString('hex'), '-in', file, '-token_in', '-CAfile', join(dir, 'ca.pem')], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  };
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    stampSync,
    verifyWithOpenssl,
    stamper: { stamp: async (digest) => stampSync(digest) },
    verifier: {
      verify: async (token, digest) => {
        const r = verifyWithOpenssl(token, digest);
        return r.status === 0 && /Verification: OK/.test(r.output) ? { ok: true, genTime: new Date() } : { ok: false, reason: r.output.trim().split('\n').pop() ?? 'openssl refused it' };
      },
    },
  };
}
