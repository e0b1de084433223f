import type { Command } from 'commander';
import type { Config, LoadedConfig } from '../config';
import type { Hsm } from '../hsm';
import type { CertificationAuthority, MobileIdView, RegistrationAuthority, RevocationReason } from '../pki';
import type { Store } from '../store';
import { pem } from './ca';
import { table, type CliOutput } from './output';

/**
 * `mssp ra …`: what a registration officer does. Registration, renewal and a change of MSISDN sign certificates,
 * so they open the token; suspension, reinstatement and revocation only write the store (a running platform
 * picks the change up within MSSP_PKI_POLL_MS: OCSP answers revoked, the CRL is re-made).
 */
export interface RaCommandContext {
  readonly config: () => LoadedConfig;
  readonly out: CliOutput;
}

/** The RA on the platform store, opening the token only if a certificate is to be signed. */
async function withRa<T>(config: Config, fn: (ra: RegistrationAuthority) => Promise<T>): Promise<T> {
  const { openPlatformStore, openPlatformHsm } = await import('./platform');
  const pki = await import('../pki');
  const store: Store = await openPlatformStore(config);
  let hsm: Hsm | undefined;
  let issuing: CertificationAuthority | undefined;
  try {
    const { raAuditRecorder } = await import('./ra-audit');
    const ra = new pki.RegistrationAuthority({
      store,
      record: await raAuditRecorder(),
      issuer: async () => {
        if (issuing === undefined) {
          hsm = await openPlatformHsm(config);
          issuing = (await pki.loadCas(hsm, store)).issuing;
        }
        return issuing;
      },
    });
    return await fn(ra);
  } finally {
    await hsm?.close();
    await store.close();
  }
}

async function readFileArg(path: string, what: string): Promise<Buffer> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message;
    throw new Error(`cannot read ${what} ${path}: ${why}`);
  }
}

function describe(view: MobileIdView, reasonName: (code: number) => string): string {
  const m = view.mobileId;
  const lines = [
    `${m.mid}  "${m.label}"  ${view.current.status}  bound to ${view.current.msisdn}`,
    `  ${m.givenName} ${m.familyName}, national id ${m.nationalId}, born ${m.birthDate}`,
    `  registered ${m.createdAt.toISOString()} ${m.registrationMode} by ${m.officer}; highest level ${m.maxLevel}`,
  ];
  const certRows = view.certificates.map((c) => [
    c.record.profile,
    c.record.serial,
    c.status === undefined ? 'good' : c.status.status === 'good' ? 'good' : `${c.status.status}${c.status.reason !== null ? ` (${reasonName(c.status.reason)})` : ''}`,
    c.record.notAfter.toISOString(),
  ]);
  const historyRows = view.history.map((h) => [h.createdAt.toISOString(), h.event, h.status, h.msisdn, h.reason ?? '', h.actor]);
  const indent = (text: string): string => text.split('\n').map((l) => `  ${l}`).join('\n');
  lines.push(indent(table([['certificate', 'serial', 'status', 'not after'], ...certRows])));
  lines.push(indent(table([['time', 'event', 'status', 'msisdn', 'reason', 'by'], ...historyRows])));
  return lines.join('\n');
}

interface TargetOptions {
  mid?: string;
  msisdn?: string;
  label?: string;
  officer: string;
  note?: string;
}

function targetOptions(cmd: Command): Command {
  return cmd
    .option('--mid <mid>', 'the mobile ID (mid:<uuid>)')
    .option('--msisdn <msisdn>', 'or the MSISDN it is bound to')
    .option('--label <label>', 'with --msisdn: which of its mobile IDs')
    .requiredOption('--officer <name>', 'the registration officer doing this (kept in the history)')
    .option('--note <text>', 'why, for the history');
}

export function registerRaCommands(program: Command, ctx: RaCommandContext): void {
  const { out } = ctx;
  const ra = program.command('ra').description('the registration authority and the mobile-ID directory');
  const reasonName = async (): Promise<(code: number) => string> => {
    const { CRL_REASON_NAMES } = await import('../pki');
    return (code) => CRL_REASON_NAMES[code] ?? String(code);
  };

  ra.command('register')
    .description('register a citizen: identity, MSISDN, the SIM\'s two PKCS#10 requests (authentication, signature); prints the new mobile ID')
    .requiredOption('--msisdn <msisdn>', 'E.164 number, e.g. +37255512345')
    .requiredOption('--given-name <name>', 'as on the identity document')
    .requiredOption('--family-name <name>', 'as on the identity document')
    .requiredOption('--national-id <id>', 'national identification number')
    .requiredOption('--birth-date <YYYY-MM-DD>', 'date of birth')
    .requiredOption('--mode <mode>', 'in-person (allows level 4) or remote (up to level 3)')
    .requiredOption('--officer <name>', 'the registration officer')
    .requiredOption('--auth-csr <file>', 'PKCS#10 request (PEM or DER) for the authentication key, made in the SIM')
    .requiredOption('--sign-csr <file>', 'PKCS#10 request (PEM or DER) for the signature key, made in the SIM')
    .option('--label <label>', 'what this mobile ID is for (one MSISDN may hold several)', 'government')
    .option('--out-dir <dir>', 'write auth.pem and sign.pem (the certificates) there')
    .action(async (o: { msisdn: string; givenName: string; familyName: string; nationalId: string; birthDate: string; mode: string; officer: string; authCsr: string; signCsr: string; label: string; outDir?: string }) => {
      const { config } = ctx.config();
      const [authenticationRequest, signatureRequest] = await Promise.all([readFileArg(o.authCsr, 'the authentication request'), readFileArg(o.signCsr, 'the signature request')]);
      const result = await withRa(config, (r) =>
        r.register({
          identity: { givenName: o.givenName, familyName: o.familyName, nationalId: o.nationalId, birthDate: o.birthDate },
          msisdn: o.msisdn,
          label: o.label,
          mode: o.mode,
          officer: o.officer,
          authenticationRequest,
          signatureRequest,
        }),
      );
      if (o.outDir !== undefined) {
        const { mkdir, writeFile } = await import('node:fs/promises');
        const { join } = await import('node:path');
        await mkdir(o.outDir, { recursive: true });
        await writeFile(join(o.outDir, 'auth.pem'), pem(result.authentication.der, 'CERTIFICATE'));
        await writeFile(join(o.outDir, 'sign.pem'), pem(result.signature.der, 'CERTIFICATE'));
        out.step(`wrote auth.pem and sign.pem to ${o.outDir}`);
      }
      out.result(`${result.mid} registered for ${result.msisdn} ("${result.label}", ${result.registrationMode}, up to level ${result.maxLevel})`);
      out.result(`authentication certificate ${result.authentication.serialHex}, signature certificate ${result.signature.serialHex}`);
    });

  targetOptions(ra.command('revoke').description('revoke a mobile ID and its certificates (final)'))
    .requiredOption('--reason <reason>', 'unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn')
    .option('--invalidity-date <ISO-8601>', 'when the key was (or may have been) compromised; goes into the CRL entry')
    .action(async (o: TargetOptions & { reason: string; invalidityDate?: string }) => {
      const pki = await import('../pki');
      const reason: RevocationReason = pki.parseRevocationReason(o.reason);
      let invalidityDate: Date | undefined;
      if (o.invalidityDate !== undefined) {
        invalidityDate = new Date(o.invalidityDate);
        if (Number.isNaN(invalidityDate.getTime())) throw new pki.CaError('BAD_INPUT', `--invalidity-date "${o.invalidityDate}" is not an ISO-8601 time`);
      }
      const view = await withRa(ctx.config().config, async (r) =>
        r.revoke({ mid: await r.resolve(o), officer: o.officer, reason, ...(invalidityDate !== undefined ? { invalidityDate } : {}), ...(o.note !== undefined ? { note: o.note } : {}) }),
      );
      out.result(`${view.mobileId.mid} revoked (${reason}) with its certificates`);
    });

  targetOptions(ra.command('suspend').description('suspend a mobile ID: its certificates go on hold (certificateHold) until reinstated')).action(async (o: TargetOptions) => {
    const view = await withRa(ctx.config().config, async (r) => r.suspend({ mid: await r.resolve(o), officer: o.officer, ...(o.note !== undefined ? { note: o.note } : {}) }));
    out.result(`${view.mobileId.mid} suspended`);
  });

  targetOptions(ra.command('reinstate').description('lift a suspension: the certificates on hold are good again')).action(async (o: TargetOptions) => {
    const view = await withRa(ctx.config().config, async (r) => r.reinstate({ mid: await r.resolve(o), officer: o.officer, ...(o.note !== undefined ? { note: o.note } : {}) }));
    out.result(`${view.mobileId.mid} reinstated`);
  });

  targetOptions(ra.command('renew').description('new certificates for new keys from the SIM; the old ones are revoked (superseded)'))
    .requiredOption('--auth-csr <file>', 'PKCS#10 request for the new authentication key')
    .requiredOption('--sign-csr <file>', 'PKCS#10 request for the new signature key')
    .action(async (o: TargetOptions & { authCsr: string; signCsr: string }) => {
      const [authenticationRequest, signatureRequest] = await Promise.all([readFileArg(o.authCsr, 'the authentication request'), readFileArg(o.signCsr, 'the signature request')]);
      const result = await withRa(ctx.config().config, async (r) =>
        r.renew({ mid: await r.resolve(o), officer: o.officer, authenticationRequest, signatureRequest, ...(o.note !== undefined ? { note: o.note } : {}) }),
      );
      out.result(`${result.mobileId.mid} renewed: authentication ${result.authentication.serialHex}, signature ${result.signature.serialHex}`);
    });

  targetOptions(ra.command('change-msisdn').description('bind a mobile ID to another MSISDN: certificates re-issued for the same keys, the old ones revoked'))
    .requiredOption('--to <msisdn>', 'the new MSISDN')
    .action(async (o: TargetOptions & { to: string }) => {
      const result = await withRa(ctx.config().config, async (r) =>
        r.changeMsisdn({ mid: await r.resolve(o), officer: o.officer, msisdn: o.to, ...(o.note !== undefined ? { note: o.note } : {}) }),
      );
      out.result(`${result.mobileId.mid} is now bound to ${result.current.msisdn}: authentication ${result.authentication.serialHex}, signature ${result.signature.serialHex}`);
    });

  ra.command('show')
    .description('the mobile IDs bound to an MSISDN, with their certificates and history')
    .argument('<msisdn>', 'E.164 number')
    .action(async (msisdn: string) => {
      const names = await reasonName();
      const { normaliseMsisdn } = await import('../pki');
      const views = await withRa(ctx.config().config, (r) => r.show(msisdn));
      if (views.length === 0) {
        out.result(`no mobile ID is bound to ${normaliseMsisdn(msisdn)}`);
        return;
      }
      out.result(views.map((v) => describe(v, names)).join('\n\n'));
    });
}
