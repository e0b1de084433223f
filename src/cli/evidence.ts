import type { Command } from 'commander';
import type { LoadedConfig } from '../config';
import type { CliOutput } from './output';

/**
 * `mssp evidence verify FILE`: checks an evidence bundle offline, with nothing of the platform but the roots and
 * the audit key the auditor brings. Only types at the top (see main.ts).
 */
export interface EvidenceCommandContext {
  readonly config: () => LoadedConfig;
  readonly out: CliOutput;
  /** Set to 1 when the bundle does not verify (the command itself worked). */
  readonly verdict: { exitCode: number };
}

/** Certificates or public keys from PEM files (any number of blocks each) or DER files. */
async function readDerObjects(files: readonly string[], label: 'CERTIFICATE' | 'PUBLIC KEY'): Promise<Buffer[]> {
  const { readFile } = await import('node:fs/promises');
  const found: Buffer[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    const text = bytes.toString('latin1');
    const blocks = [...text.matchAll(new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`, 'g'))];
    if (blocks.length === 0 && text.includes('-----BEGIN')) throw new Error(`${file} holds no ${label} block`);
    if (blocks.length === 0) found.push(bytes);
    for (const b of blocks) found.push(Buffer.from((b[1] as string).replace(/\s+/g, ''), 'base64'));
  }
  return found;
}

async function spkiOf(files: readonly string[]): Promise<Buffer[]> {
  const { createPublicKey } = await import('node:crypto');
  const keys = await readDerObjects(files, 'PUBLIC KEY');
  return keys.map((der) => createPublicKey({ key: der, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' }));
}

const collect = (v: string, acc: string[] = []): string[] => [...acc, v];

export function registerEvidenceCommands(program: Command, ctx: EvidenceCommandContext): void {
  const { out } = ctx;
  const evidence = program.command('evidence').description('evidence bundles of signature transactions: check one offline');
  evidence
    .command('verify')
    .description('check a bundle: CMS signature and chain, OCSP status at signing, time-stamp, audit entries and their proofs against a signed checkpoint')
    .argument('<file>', 'the bundle (JSON)')
    .requiredOption('--ca <pem>', 'a root certificate you trust (repeatable; PEM may hold several)', collect)
    .requiredOption('--audit-key <pem>', 'the audit public key you trust (repeatable)', collect)
    .option('--json', 'print the checks as JSON')
    .action(async (file: string, options: { ca: string[]; auditKey: string[]; json?: boolean }) => {
      const { readFile } = await import('node:fs/promises');
      const { verifyEvidenceBundle } = await import('../audit');
      const { pkiEvidenceChecks } = await import('./evidence-checks');
      const roots = await readDerObjects(options.ca, 'CERTIFICATE');
      const trustedAuditKeys = await spkiOf(options.auditKey);
      let bundle: unknown;
      try {
        bundle = JSON.parse(await readFile(file, 'utf8')) as unknown;
      } catch (err) {
        throw new Error(`${file} is not a JSON evidence bundle: ${(err as Error).message}`, { cause: err });
      }
      const verdict = await verifyEvidenceBundle(bundle, { trustedAuditKeys, pki: pkiEvidenceChecks(roots) });
      if (options.json === true) out.result(JSON.stringify(verdict, null, 2));
      else for (const check of verdict.checks) out.result(`${check.ok ? 'OK  ' : 'FAIL'} ${check.part}: ${check.message}`);
      out.result(verdict.ok ? 'evidence verified' : 'evidence NOT verified');
      if (!verdict.ok) ctx.verdict.exitCode = 1;
    });
}
