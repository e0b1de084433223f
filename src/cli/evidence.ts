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

interface TransactionEvidence {
  readonly ocspResponse?: string;
  readonly timeStampToken?: string;
}

/** Gathers a transaction's bundle from the store: the transaction, its audit entries (with the evidence they keep) and proofs. */
async function exportBundle(config: import('../config').Config, msspTransId: string): Promise<import('../audit').EvidenceBundle> {
  const { openPlatformStore } = await import('./platform');
  const audit = await import('../audit');
  const pki = await import('../pki');
  const store = await openPlatformStore(config);
  try {
    const tx = await store.mss.findTransaction(msspTransId);
    if (tx === undefined) throw new Error(`no signature transaction ${msspTransId}`);
    if (tx.signature === null) throw new Error(`transaction ${msspTransId} ended ${tx.statusCode ?? tx.state} without a signature: there is nothing to prove`);
    const log = await audit.AuditLog.open({ store });
    const seqs = await log.seqsAbout(audit.transactionSubject(msspTransId));
    if (seqs.length === 0) throw new Error(`the audit log holds no entry of transaction ${msspTransId}`);
    let proven;
    try {
      proven = await log.entriesWithProof(seqs);
    } catch (err) {
      if (audit.isAuditError(err, 'OUT_OF_RANGE') || audit.isAuditError(err, 'NOT_FOUND')) {
        throw new Error(`the entries of ${msspTransId} are not covered by a signed checkpoint yet: wait for the next one or run \`mssp audit checkpoint\``, { cause: err });
      }
      throw err;
    }
    const end = [...proven.entries].reverse().find((e) => e.entry.action === 'transaction.state');
    const kept = (end === undefined ? {} : (JSON.parse(end.entry.details) as TransactionEvidence));
    const signature = Buffer.from(tx.signature, 'base64');
    const sd = pki.parseSignedData(signature);
    const issuing = await store.certificates.findCa(pki.ISSUING_CA);
    const request = JSON.parse(tx.request) as { dataToBeSigned?: string };
    return audit.buildEvidenceBundle(
      {
        transaction: { id: tx.msspTransId, apId: tx.apId, apTransId: tx.apTransId, msisdn: tx.msisdn, status: tx.statusCode, createdAt: tx.createdAt.toISOString(), endedAt: tx.endedAt?.toISOString() ?? null },
        ...(sd.content === undefined && request.dataToBeSigned !== undefined ? { signedData: Buffer.from(request.dataToBeSigned, 'base64') } : {}),
        signature,
        certificates: [...sd.certificates, ...(issuing === undefined ? [] : [issuing.certificate])],
        ...(kept.ocspResponse !== undefined ? { ocspResponse: Buffer.from(kept.ocspResponse, 'base64') } : {}),
        ...(kept.timeStampToken !== undefined ? { timeStampToken: Buffer.from(kept.timeStampToken, 'base64') } : {}),
      },
      proven,
    );
  } finally {
    await store.close();
  }
}

export function registerEvidenceCommands(program: Command, ctx: EvidenceCommandContext): void {
  const { out } = ctx;
  const evidence = program.command('evidence').description('evidence bundles of signature transactions: export one, check one offline');
  evidence
    .command('export')
    .description('write the evidence bundle of a signature transaction (MSSP_TransID) as JSON')
    .argument('<transaction>', 'the MSSP_TransID')
    .option('--out <file>', 'write to a file instead of standard output')
    .action(async (msspTransId: string, options: { out?: string }) => {
      const bundle = await exportBundle(ctx.config().config, msspTransId);
      const text = JSON.stringify(bundle, null, 2);
      if (options.out === undefined) {
        out.result(text);
        return;
      }
      const { writeFile } = await import('node:fs/promises');
      await writeFile(options.out, `${text}\n`);
      out.result(`evidence of ${msspTransId} written to ${options.out} (${bundle.audit.entries.length} audit entries, checkpoint ${bundle.audit.checkpoint.treeSize})`);
    });
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
