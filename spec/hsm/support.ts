import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeThrowAwayToken, type ThrowAwayToken } from '../support/softhsm';
import { openHsm, type Hsm, type OpenHsmOptions } from '../../src/hsm';

export interface TestToken {
  readonly token: ThrowAwayToken;
  readonly hsm: Hsm;
  /** A scratch folder beside the token for files handed to openssl and pkcs11-tool. */
  readonly dir: string;
}

/** makeThrowAwayToken (which makes its SOFTHSM2_CONF visible to the SoftHSM2 library in this Jest worker). */
export function throwAwayToken(label: string, userPin = '1234'): ThrowAwayToken {
  return makeThrowAwayToken(label, userPin);
}

/** A fresh SoftHSM2 token and an Hsm open on it. */
export async function openTestToken(label = 'hsm-spec', options: Partial<OpenHsmOptions> = {}): Promise<TestToken> {
  const token = throwAwayToken(label);
  const hsm = await openHsm({ modulePath: token.env.modulePath, tokenLabel: token.label, pin: token.userPin, poolSize: 4, ...options });
  const dir = mkdtempSync(join(token.env.tokenDir, '..', 'files-'));
  return { token, hsm, dir };
}

/** pkcs11-tool (OpenSC) on the token's own SOFTHSM2_CONF: an implementation independent of ours. */
export function pkcs11Tool(token: ThrowAwayToken, args: readonly string[]): string {
  return execFileSync('pkcs11-tool', ['--module', token.env.modulePath, '--token-label', token.label, ...args], {
    env: { ...process.env, SOFTHSM2_CONF: token.env.confPath },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface ToolObject {
  /** 'Private Key Object', 'Public Key Object', 'Secret Key Object', … */
  readonly kind: string;
  /** The rest of the header line, e.g. 'EC  EC_POINT 256 bits' or 'AES length 32'. */
  readonly detail: string;
  readonly label?: string;
  readonly id?: string;
  readonly usage: readonly string[];
  readonly access: readonly string[];
}

/** Parses `pkcs11-tool --list-objects`: a header line per object, then indented "name: value" lines. */
export function parseToolObjects(output: string): ToolObject[] {
  const objects: ToolObject[] = [];
  let current: { kind: string; detail: string; fields: Map<string, string> } | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const list = (name: string): string[] =>
      (current?.fields.get(name) ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    const label = current.fields.get('label');
    const id = current.fields.get('ID');
    objects.push({
      kind: current.kind,
      detail: current.detail,
      ...(label !== undefined ? { label } : {}),
      ...(id !== undefined ? { id } : {}),
      usage: list('Usage'),
      access: list('Access'),
    });
  };
  for (const line of output.split('\n')) {
    const header = /^(\w[\w ]*Object);?\s*(.*)$/.exec(line);
    if (header) {
      flush();
      current = { kind: header[1] ?? '', detail: (header[2] ?? '').trim(), fields: new Map() };
      continue;
    }
    const field = /^\s+([\w ]+?):\s*(.*)$/.exec(line);
    if (field && current) current.fields.set(field[1] ?? '', (field[2] ?? '').trim());
  }
  flush();
  return objects;
}

export function listToolObjects(token: ThrowAwayToken): ToolObject[] {
  return parseToolObjects(pkcs11Tool(token, ['--list-objects', '--login', '--pin', token.userPin]));
}

export function toPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface OpensslResult {
  readonly status: number | null;
  readonly output: string;
}

export function openssl(args: readonly string[]): OpensslResult {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** `openssl dgst -verify` of `signature` over `data` with the SPKI public key; extra args for PSS. */
export function opensslVerify(dir: string, name: string, spki: Buffer, digest: string, data: Buffer, signature: Buffer, extra: readonly string[] = []): OpensslResult {
  const pub = join(dir, `${name}.pub.pem`);
  const dataFile = join(dir, `${name}.data`);
  const sigFile = join(dir, `${name}.sig`);
  writeFileSync(pub, toPem(spki, 'PUBLIC KEY'));
  writeFileSync(dataFile, data);
  writeFileSync(sigFile, signature);
  return openssl(['dgst', `-${digest}`, '-verify', pub, ...extra, '-signature', sigFile, dataFile]);
}
