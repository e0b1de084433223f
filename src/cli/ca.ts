import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Config, LoadedConfig } from '../config';
import type { Route } from '../api/http-server';
import type { Hsm } from '../hsm';
import type { Logger } from '../log';
import type { CaKeyChoice, PkiRuntime, TimeStampAuthority } from '../pki';
import type { Store } from '../store';
import { table, type CliOutput } from './output';

/**
 * `mssp ca …` and the PKI inside `mssp start` (startPki). Only types at the top: main.ts registers these commands
 * eagerly and `--help` must work where a native module is broken.
 */
export interface CaCommandContext {
  readonly config: () => LoadedConfig;
  readonly out: CliOutput;
}

/** The base of the OCSP, CRL and CA certificate URLs written into certificates. */
export function publicBaseUrl(config: Config): string {
  if (config.publicBaseUrl !== undefined) return config.publicBaseUrl;
  const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
  return `${config.tlsCertFile !== undefined ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.httpPort}`;
}

export async function withStoreAndHsm<T>(config: Config, fn: (store: Store, hsm: Hsm) => Promise<T>): Promise<T> {
  const { openPlatformStore, openPlatformHsm } = await import('./platform');
  const store = await openPlatformStore(config);
  try {
    const hsm = await openPlatformHsm(config);
    try {
      return await fn(store, hsm);
    } finally {
      await hsm.close();
    }
  } finally {
    await store.close();
  }
}

export async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const { openPlatformStore } = await import('./platform');
  const store = await openPlatformStore(config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function keyChoice(flag: string): (raw: string) => CaKeyChoice {
  return (raw) => {
    const choices = ['P-256', 'P-384', 'RSA-3072'];
    if (!choices.includes(raw)) throw new InvalidArgumentError(`${flag} must be one of ${choices.join(', ')}`);
    return raw as CaKeyChoice;
  };
}

function seconds(flag: string): (raw: string) => number {
  return (raw) => {
    const m = /^(\d{1,7})(s|m|h|d)?$/.exec(raw);
    if (m === null) throw new InvalidArgumentError(`${flag} is a duration such as 3600, 90m, 24h or 30d`);
    const n = Number(m[1]) * ({ s: 1, m: 60, h: 3600, d: 86_400 } as const)[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
    if (n < 60 || n > 366 * 86_400) throw new InvalidArgumentError(`${flag} must be between 1 minute and 366 days`);
    return n;
  };
}

export function pem(der: Uint8Array, label: string): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

async function writeOrPrint(out: CliOutput, text: string | Buffer, file: string | undefined, what: string): Promise<void> {
  if (file === undefined) {
    out.result(typeof text === 'string' ? text.trimEnd() : text.toString('base64'));
    return;
  }
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, text);
  out.step(`wrote ${what} to ${file}`);
}

interface InitOptions {
  organization?: string;
  country?: string;
  baseUrl?: string;
  rootKey?: CaKeyChoice;
  issuingKey?: CaKeyChoice;
  serviceKey?: CaKeyChoice;
  rootCrlValidity?: number;
  issuingCrlValidity?: number;
  ifAbsent?: boolean;
}

const EXPORTABLE = ['root', 'issuing', 'chain', 'ocsp-responder', 'tsa', 'audit-signing'] as const;
type Exportable = (typeof EXPORTABLE)[number];

export function registerCaCommands(program: Command, ctx: CaCommandContext): void {
  const { out } = ctx;
  const ca = program.command('ca').description('the certification authority: root and issuing CA keys in the token, service certificates, CRLs');

  ca.command('init')
    .description('make the root CA and the issuing CA (keys generated in the token), the OCSP responder, TSA and audit certificates, and the first CRLs; refuses when a CA exists')
    .option('--organization <name>', 'O= of the CAs (default MSSP_CA_ORGANIZATION)')
    .option('--country <CC>', 'C= of the CAs (default MSSP_CA_COUNTRY)')
    .option('--base-url <url>', 'base of the OCSP/CRL/caIssuers URLs in certificates (default MSSP_PUBLIC_BASE_URL, else http://host:port)')
    .option('--root-key <type>', 'root CA key: P-256 (default), P-384 or RSA-3072', keyChoice('--root-key'))
    .option('--issuing-key <type>', 'issuing CA key: P-256 (default), P-384 or RSA-3072', keyChoice('--issuing-key'))
    .option('--service-key <type>', 'OCSP responder and TSA keys: P-256 (default), P-384 or RSA-3072', keyChoice('--service-key'))
    .option('--root-crl-validity <duration>', 'root CRL lifetime (default 30d)', seconds('--root-crl-validity'))
    .option('--issuing-crl-validity <duration>', 'issuing CA CRL lifetime (default 24h)', seconds('--issuing-crl-validity'))
    .option('--if-absent', 'do nothing (and succeed) when a CA exists already: for start scripts')
    .action(async (options: InitOptions) => {
      const { config } = ctx.config();
      const pki = await import('../pki');
      if (options.baseUrl === undefined && config.publicBaseUrl === undefined && config.httpPort === 0) {
        // Port 0 means "any free port at start": no URL written into a certificate could reach it.
        throw new pki.CaError('BAD_INPUT', 'MSSP_HTTP_PORT is 0, so the OCSP and CRL URLs in certificates would be unreachable: set MSSP_PUBLIC_BASE_URL or --base-url');
      }
      await withStoreAndHsm(config, async (store, hsm) => {
        await store.migrate();
        if (options.ifAbsent === true && (await store.certificates.findCa(pki.ROOT_CA)) !== undefined) {
          out.result('a CA exists already: nothing to do (--if-absent)');
          return;
        }
        const country = options.country ?? config.caCountry;
        const result = await pki.initCertificationAuthority(hsm, store, {
          organization: options.organization ?? config.caOrganization,
          ...(country !== undefined ? { country } : {}),
          publicBaseUrl: options.baseUrl ?? publicBaseUrl(config),
          ...(options.rootKey !== undefined ? { rootKey: options.rootKey } : {}),
          ...(options.issuingKey !== undefined ? { issuingKey: options.issuingKey } : {}),
          ...(options.serviceKey !== undefined ? { serviceKey: options.serviceKey } : {}),
          ...(options.rootCrlValidity !== undefined ? { rootCrlValiditySeconds: options.rootCrlValidity } : {}),
          ...(options.issuingCrlValidity !== undefined ? { issuingCrlValiditySeconds: options.issuingCrlValidity } : {}),
          actor: `cli:${process.env.USER ?? 'operator'}`,
          onStep: (m) => out.step(m),
        });
        const cas = await pki.loadCas(hsm, store);
        for (const c of [cas.root, cas.issuing]) {
          const crl = await pki.publishCrl(store, c);
          out.step(`published CRL ${crl.crlNumber} of the ${c.name} CA (next update ${crl.nextUpdate.toISOString()})`);
        }
        const rows = [
          ['root', result.root.subject, result.root.serial, result.root.keyLabel],
          ['issuing', result.issuing.subject, result.issuing.serial, result.issuing.keyLabel],
          ...result.services.map((s) => [s.profile, s.issued.subject, s.issued.serialHex, s.keyLabel]),
        ];
        out.result(table([['certificate', 'subject', 'serial', 'key'], ...rows]));
        out.result(`CA initialised (keys made: ${result.createdKeys.join(', ') || 'none'}; found in the token: ${result.reusedKeys.join(', ') || 'none'})`);
      });
    });

  ca.command('show')
    .description('the CAs, the newest service certificates and CRLs')
    .action(async () => {
      const { config } = ctx.config();
      const pki = await import('../pki');
      await withStore(config, async (store) => {
        const cas = await store.certificates.listCas();
        if (cas.length === 0) {
          out.result('no CA: run `mssp ca init`');
          return;
        }
        const rows: string[][] = [];
        for (const c of cas) {
          const crl = await store.certificates.latestCrl(c.name);
          rows.push([c.name, c.subject, c.serial, c.algorithm, c.keyLabel, crl === undefined ? '-' : `#${crl.crlNumber} until ${crl.nextUpdate.toISOString()}`]);
        }
        out.result(table([['CA', 'subject', 'serial', 'algorithm', 'key', 'CRL'], ...rows]));
        const services: string[][] = [];
        for (const profile of ['ocsp-responder', 'tsa', 'audit-signing'] as const) {
          const cert = await pki.latestServiceCertificate(store, profile);
          if (cert !== undefined) services.push([profile, cert.subject, cert.serial, cert.notAfter.toISOString()]);
        }
        out.result(table([['service', 'subject', 'serial', 'not after'], ...services]));
      });
    });

  ca.command('export')
    .description(`print a certificate as PEM: ${EXPORTABLE.join(', ')} (chain = issuing then root)`)
    .argument('<what>', EXPORTABLE.join('|'))
    .option('--out <file>', 'write to a file instead of standard output')
    .action(async (what: string, options: { out?: string }) => {
      const { config } = ctx.config();
      const pki = await import('../pki');
      // Checked inside the action, where commander would print nothing for its own InvalidArgumentError.
      if (!(EXPORTABLE as readonly string[]).includes(what)) throw new pki.CaError('BAD_INPUT', `what to export is one of ${EXPORTABLE.join(', ')}, not "${what}"`);
      const text = await withStore(config, async (store) => {
        const caPem = async (name: string): Promise<string> => {
          const record = await store.certificates.findCa(name);
          if (record === undefined) throw new pki.CaError('NOT_INITIALISED', 'no CA in the store: run `mssp ca init` first');
          return pem(record.certificate, 'CERTIFICATE');
        };
        const item = what as Exportable;
        if (item === 'root' || item === 'issuing') return caPem(item);
        if (item === 'chain') return `${await caPem('issuing')}${await caPem('root')}`;
        const cert = await pki.latestServiceCertificate(store, item);
        if (cert === undefined) throw new pki.CaError('NOT_INITIALISED', `no ${item} certificate: run \`mssp ca init\``);
        return pem(cert.der, 'CERTIFICATE');
      });
      await writeOrPrint(out, text, options.out, what);
    });

  ca.command('crl')
    .description('make and store a new CRL of a CA now (a running platform also does this on every change), and print or write it')
    .option('--ca <name>', 'root or issuing', 'issuing')
    .option('--out <file>', 'write the CRL to a file')
    .option('--der', 'DER instead of PEM')
    .action(async (options: { ca: string; out?: string; der?: boolean }) => {
      const { config } = ctx.config();
      const pki = await import('../pki');
      const crl = await withStoreAndHsm(config, async (store, hsm) => {
        const cas = await pki.loadCas(hsm, store);
        const target = options.ca === 'root' ? cas.root : options.ca === 'issuing' ? cas.issuing : undefined;
        if (target === undefined) throw new pki.CaError('UNKNOWN_CA', `no CA named "${options.ca}" (root or issuing)`);
        return pki.publishCrl(store, target);
      });
      out.step(`CRL ${crl.crlNumber} of the ${options.ca} CA: this update ${crl.thisUpdate.toISOString()}, next update ${crl.nextUpdate.toISOString()}`);
      await writeOrPrint(out, options.der === true ? crl.der : pem(crl.der, 'X509 CRL'), options.out, 'the CRL');
    });

  ca.command('issue')
    .description("issue a TLS certificate from a PKCS#10 request whose key its holder made (proof of possession checked): a relying party's client certificate or the platform's server certificate")
    .requiredOption('--profile <profile>', 'rp-tls-client or platform-tls-server')
    .requiredOption('--csr <file>', 'the PKCS#10 request, PEM or DER')
    .requiredOption('--name <CN>', 'common name of the subject: the relying party, or the host')
    .option('--organization <O>', 'organization of the subject')
    .option('--country <CC>', 'country of the subject')
    .option('--dns <name...>', 'host names for platform-tls-server (at least one)')
    .option('--days <n>', "validity in days, at most the profile's", (raw) => {
      if (!/^[1-9]\d{0,4}$/.test(raw)) throw new InvalidArgumentError('--days is a whole number of days');
      return Number(raw);
    })
    .option('--out <file>', 'write the certificate (PEM) to a file')
    .action(async (o: { profile: string; csr: string; name: string; organization?: string; country?: string; dns?: string[]; days?: number; out?: string }) => {
      const { config } = ctx.config();
      const pki = await import('../pki');
      const { readFile } = await import('node:fs/promises');
      let request: Buffer;
      try {
        request = await readFile(o.csr);
      } catch (err) {
        throw new pki.CaError('BAD_INPUT', `cannot read the request ${o.csr}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      }
      const issued = await withStoreAndHsm(config, async (store, hsm) => {
        const cas = await pki.loadCas(hsm, store);
        return pki.issueForRequest(cas.issuing, store, {
          profile: o.profile,
          request,
          commonName: o.name,
          ...(o.organization !== undefined ? { organization: o.organization } : {}),
          ...(o.country !== undefined ? { country: o.country } : {}),
          ...(o.dns !== undefined ? { dnsNames: o.dns } : {}),
          ...(o.days !== undefined ? { validityDays: o.days } : {}),
          actor: `cli:${process.env.USER ?? 'operator'}`,
        });
      });
      const summary = `issued ${o.profile} certificate ${issued.serialHex} for ${issued.subject}, valid until ${issued.notAfter.toISOString()}`;
      // Standard output carries one thing: the summary when the PEM went to a file, else the PEM alone.
      if (o.out !== undefined) {
        await writeOrPrint(out, pem(issued.der, 'CERTIFICATE'), o.out, 'the certificate');
        out.result(summary);
      } else {
        out.step(summary);
        out.result(pem(issued.der, 'CERTIFICATE').trimEnd());
      }
    });

  ca.command('status')
    .description('a certificate by serial number: subject, profile, validity and its whole status history')
    .argument('<serial>', 'serial number in hex')
    .option('--ca <name>', 'issuing CA of the certificate', 'issuing')
    .option('--pem', 'print the certificate as PEM too')
    .action(async (serialInput: string, options: { ca: string; pem?: boolean }) => {
      const { config } = ctx.config();
      const pki = await import('../pki');
      const serial = pki.normaliseSerialHex(serialInput);
      if (serial === undefined) throw new pki.CaError('BAD_INPUT', `the serial number is hex (at most 20 octets), not "${serialInput}"`);
      await withStore(config, async (store) => {
        const cert = await store.certificates.findCertificate(options.ca, serial);
        if (cert === undefined) throw new pki.CaError('CERTIFICATE_NOT_FOUND', `CA "${options.ca}" issued no certificate with serial ${serial}`);
        out.result(`${cert.subject}\nprofile ${cert.profile}${cert.mid !== null ? `, ${cert.mid}` : ''}, valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`);
        const history = await store.certificates.statusHistory(options.ca, serial);
        out.result(table([['time', 'status', 'reason', 'actor', 'note'], ...history.map((h) => [h.createdAt.toISOString(), h.status, h.reason === null ? '' : (pki.CRL_REASON_NAMES[h.reason] ?? String(h.reason)), h.actor, h.note ?? ''])]));
        if (options.pem === true) out.result(pem(cert.der, 'CERTIFICATE').trimEnd());
      });
    });
}

export interface RunningPki {
  readonly routes: Route[];
  readonly runtime: PkiRuntime | undefined;
  /** The platform TSA (also served at POST /tsa), for in-process time-stamps such as the audit log's checkpoints. */
  readonly tsa: TimeStampAuthority | undefined;
  stop(): Promise<void>;
}

/**
 * The PKI inside `mssp start`: the OCSP responder, the CRLs and the CA certificates over HTTP, kept current with
 * changes made by `mssp ra …` in other processes. Without a CA the platform still starts, without these routes.
 */
export async function startPki(config: Config, hsm: Hsm, store: Store, logger: Logger): Promise<RunningPki> {
  const pki = await import('../pki');
  const { pkiRoutes } = await import('../api/pki-routes');
  let runtime: PkiRuntime;
  try {
    runtime = await pki.startPkiRuntime({
      hsm,
      store,
      logger,
      pollMs: config.pkiPollMs,
      ocspValiditySeconds: config.ocspValiditySeconds,
      ocspCacheEntries: config.ocspCacheEntries,
      recordRaEvent: await (await import('./ra-audit')).raAuditRecorder(),
    });
  } catch (err) {
    if (pki.isCaError(err, 'NOT_INITIALISED')) {
      logger.warn('no CA in the store: OCSP, CRL and TSA endpoints are off until `mssp ca init` and a restart');
      return { routes: [], runtime: undefined, tsa: undefined, stop: async () => undefined };
    }
    throw err;
  }
  let tsa: TimeStampAuthority;
  try {
    const { tsaRoute } = await import('../api/tsa-route');
    const identity = await pki.loadServiceIdentity(hsm, store, 'tsa');
    tsa = await pki.createTsa({
      hsm,
      keyLabel: pki.PKI_KEY_LABELS.tsa,
      certificate: identity.certificate.der,
      chain: identity.chain,
      counters: store.counters,
      policyOid: config.tsaPolicyOid,
      accuracy: { seconds: 1 },
      logger,
    });
    const routes = [
      ...pkiRoutes({
        responder: runtime.responder,
        crl: (name) => runtime.crls.current(name),
        caCertificate: (name) => runtime.caCertificate(name),
      }),
      tsaRoute({ tsa }),
    ];
    logger.info({ policy: config.tsaPolicyOid, certificate: identity.certificate.serial }, 'TSA started');
    return { routes, runtime, tsa, stop: () => runtime.stop() };
  } catch (err) {
    await runtime.stop();
    throw err;
  }
}
