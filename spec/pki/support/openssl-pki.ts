import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test-only: OpenSSL as the independent implementation. A software chain made by `openssl req`/`x509`
 * (for CMS that openssl signs), and a runner that returns the exit status and all output.
 */
export interface OpensslRun {
  readonly status: number | null;
  readonly output: string;
}

export function runOpenssl(args: readonly string[], cwd?: string): OpensslRun {
  const r = spawnSync('openssl', args, { encoding: 'utf8', ...(cwd !== undefined ? { cwd } : {}) });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function must(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export type OpensslKeyType = 'rsa' | 'ec-p256' | 'ec-p384';

const keyArgs = (type: OpensslKeyType): string[] =>
  type === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${type === 'ec-p256' ? 'P-256' : 'P-384'}`];

export interface OpensslChain {
  readonly dir: string;
  /** PEM files */
  readonly root: string;
  readonly issuing: string;
  readonly leaf: string;
  readonly leafKey: string;
  /** DER of each certificate */
  readonly rootDer: Buffer;
  readonly issuingDer: Buffer;
  readonly leafDer: Buffer;
}

/** root (EC P-256) → issuing CA (EC P-256) → signer (`leafKey`), all with software keys in `dir`. */
export function makeOpensslChain(dir: string, name: string, leafKey: OpensslKeyType): OpensslChain {
  const f = (s: string): string => join(dir, `${name}-${s}`);
  writeFileSync(f('ca.cnf'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  writeFileSync(f('ee.cnf'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  must(['req', '-x509', ...keyArgs('ec-p256'), '-nodes', '-keyout', f('root.key'), '-out', f('root.pem'), '-subj', `/CN=${name} OpenSSL Root`, '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  must(['req', '-new', ...keyArgs('ec-p256'), '-nodes', '-keyout', f('issuing.key'), '-out', f('issuing.csr'), '-subj', `/CN=${name} OpenSSL Issuing`], dir);
  must(['x509', '-req', '-in', f('issuing.csr'), '-CA', f('root.pem'), '-CAkey', f('root.key'), '-set_serial', '2', '-days', '3650', '-extfile', f('ca.cnf'), '-out', f('issuing.pem')], dir);
  must(['req', '-new', ...keyArgs(leafKey), '-nodes', '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', `/CN=${name} OpenSSL Signer`], dir);
  must(['x509', '-req', '-in', f('leaf.csr'), '-CA', f('issuing.pem'), '-CAkey', f('issuing.key'), '-set_serial', '3', '-days', '365', '-extfile', f('ee.cnf'), '-out', f('leaf.pem')], dir);
  const der = (pem: string): Buffer => execFileSync('openssl', ['x509', '-in', pem, '-outform', 'DER']);
  return {
    dir,
    root: f('root.pem'),
    issuing: f('issuing.pem'),
    leaf: f('leaf.pem'),
    leafKey: f('leaf.key'),
    rootDer: der(f('root.pem')),
    issuingDer: der(f('issuing.pem')),
    leafDer: der(f('leaf.pem')),
  };
}

export const readBytes = (file: string): Buffer => readFileSync(file);
