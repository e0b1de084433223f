import { userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Every configuration key of the platform, documented where it is defined.
 * The README's configuration table is generated from this table (`mssp config docs`) and a test keeps them equal.
 */

type Parser<T> = (raw: string) => T;

export interface KeyDefinition<T> {
  /** Environment variable that sets it; it wins over the config file. */
  readonly env: string;
  /** What it means, for the README and `mssp config docs`. */
  readonly doc: string;
  /** Default as documented; a function when it derives from other keys. */
  readonly defaultText: string;
  readonly default: (partial: Readonly<Record<string, unknown>>) => T | undefined;
  readonly parse: Parser<T>;
  /** Masked in `mssp config show` and never logged. */
  readonly secret?: boolean;
  /** Returns a warning when the value is unsafe for production (demo PINs, plain HTTP). */
  readonly unsafe?: (value: T | undefined, all: Readonly<Record<string, unknown>>) => string | undefined;
}

const text: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new Error('must not be empty');
  return raw;
};

function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    if (!/^\d+$/.test(raw.trim())) throw new Error(`must be an integer from ${min} to ${max}`);
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => {
    if (!(values as readonly string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}`);
    return raw as T;
  };
}

const databaseUrl: Parser<string> = (raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('must be a URL such as postgres://user@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error('must use the postgres:// scheme (leave it unset for the embedded SQLite store)');
  }
  return raw;
};

const absolutePath: Parser<string> = (raw) => resolve(text(raw));

const flag: Parser<boolean> = (raw) => {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new Error('must be true or false');
};

const httpUrl: Parser<string> = (raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an http:// or https:// URL');
  return raw;
};

function underDataDir(name: string): (partial: Readonly<Record<string, unknown>>) => string {
  return (partial) => {
    const dataDir = typeof partial.dataDir === 'string' ? partial.dataDir : resolve('data');
    return isAbsolute(name) ? name : join(dataDir, name);
  };
}

function key<T>(definition: KeyDefinition<T>): KeyDefinition<T> {
  return definition;
}

const DEMO_PIN_WARNING = 'is the documented demo value: set your own before holding real keys';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** The checked configuration; `configDefinitions` must define exactly these keys. */
export interface Config {
  readonly dataDir: string;
  readonly databaseUrl?: string;
  readonly databaseSchema?: string;
  readonly sqliteFile: string;
  readonly pkcs11Module: string;
  readonly softhsmConf: string;
  readonly pkcs11Token: string;
  readonly pkcs11Pin: string;
  readonly pkcs11SoPin: string;
  readonly hsmPoolSize: number;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly auditCheckpointEntries: number;
  readonly auditCheckpointMs: number;
  readonly auditRequireTimeStamp: boolean;
  readonly auditWitnessFile?: string;
  readonly auditWitnessUrl?: string;
  readonly publicBaseUrl?: string;
  readonly caOrganization: string;
  readonly caCountry?: string;
  readonly ocspValiditySeconds: number;
  readonly ocspCacheEntries: number;
  readonly pkiPollMs: number;
  readonly tsaPolicyOid: string;
  readonly operatorName: string;
  readonly mssMaxRequestBytes: number;
  readonly mssInstantWindowSeconds: number;
  readonly mssDefaultTimeoutSeconds: number;
  readonly smscHost?: string;
  readonly smscPort: number;
  readonly smscSystemId: string;
  readonly smscPassword?: string;
  readonly smscSystemType?: string;
  readonly smscBinds: number;
  readonly smscSubmitsPerSecond: number;
  readonly shortCode: string;
}

type Definitions = { readonly [K in keyof Config]-?: KeyDefinition<NonNullable<Config[K]>> };

/** A UUID OID (X.667, no registration needed) for the TSA policy of an unconfigured deployment. */
const DEFAULT_TSA_POLICY = '2.25.332905707516792268138615481188638803943';

// Order matters: defaults may read keys defined above them.
export const configDefinitions: Definitions = {
  dataDir: key({
    env: 'MSSP_DATA_DIR',
    doc: 'Folder for the SQLite file, the project-local SoftHSM2 tokens and other state.',
    defaultText: './data',
    default: () => resolve('data'),
    parse: absolutePath,
  }),
  databaseUrl: key<string>({
    env: 'DATABASE_URL',
    doc: 'PostgreSQL connection URL (postgres://user:password@host:port/db). Unset: the embedded SQLite store.',
    defaultText: '(unset: SQLite)',
    default: () => undefined,
    parse: databaseUrl,
    secret: true,
  }),
  databaseSchema: key<string>({
    env: 'MSSP_DATABASE_SCHEMA',
    doc: 'PostgreSQL schema holding the platform tables (created if missing); lets several deployments share a database.',
    defaultText: '(unset: the connection\'s search_path)',
    default: () => undefined,
    parse: (raw) => {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) throw new Error('must be a lower-case SQL identifier (a-z, 0-9, _)');
      return raw;
    },
  }),
  sqliteFile: key({
    env: 'MSSP_SQLITE_FILE',
    doc: 'SQLite database file, used when DATABASE_URL is unset.',
    defaultText: '<dataDir>/mssp.sqlite',
    default: underDataDir('mssp.sqlite'),
    parse: absolutePath,
  }),
  pkcs11Module: key({
    env: 'MSSP_PKCS11_MODULE',
    doc: 'Path of the PKCS#11 module (shared library) of the HSM.',
    defaultText: SOFTHSM_MODULE,
    default: () => SOFTHSM_MODULE,
    parse: absolutePath,
  }),
  softhsmConf: key({
    env: 'SOFTHSM2_CONF',
    doc: 'SoftHSM2 configuration file; when the module is SoftHSM2, `mssp init` writes a project-local one here.',
    defaultText: '<dataDir>/softhsm/softhsm2.conf',
    default: underDataDir(join('softhsm', 'softhsm2.conf')),
    parse: absolutePath,
  }),
  pkcs11Token: key({
    env: 'MSSP_PKCS11_TOKEN',
    doc: 'Label of the token holding the platform keys.',
    defaultText: 'mssp',
    default: () => 'mssp',
    parse: text,
  }),
  pkcs11Pin: key({
    env: 'MSSP_PKCS11_PIN',
    doc: 'User PIN of that token.',
    defaultText: '1234 (demo)',
    default: () => '1234',
    parse: text,
    secret: true,
    unsafe: (value) => (value === '1234' ? `MSSP_PKCS11_PIN ${DEMO_PIN_WARNING}` : undefined),
  }),
  pkcs11SoPin: key({
    env: 'MSSP_PKCS11_SO_PIN',
    doc: 'Security-officer PIN, used only by `mssp init` when it creates a SoftHSM2 token.',
    defaultText: '12345678 (demo)',
    default: () => '12345678',
    parse: text,
    secret: true,
    unsafe: (value) => (value === '12345678' ? `MSSP_PKCS11_SO_PIN ${DEMO_PIN_WARNING}` : undefined),
  }),
  hsmPoolSize: key({
    env: 'MSSP_HSM_POOL_SIZE',
    doc: 'PKCS#11 sessions kept open: the number of HSM operations that can run at once.',
    defaultText: '4',
    default: () => 4,
    parse: integer(1, 256),
  }),
  httpHost: key({
    env: 'MSSP_HTTP_HOST',
    doc: 'Address the HTTP listener binds to.',
    defaultText: '127.0.0.1',
    default: () => '127.0.0.1',
    parse: text,
  }),
  httpPort: key({
    env: 'MSSP_HTTP_PORT',
    doc: 'Port of the HTTP listener (0 picks a free one).',
    defaultText: '8080',
    default: () => 8080,
    parse: integer(0, 65535),
  }),
  tlsCertFile: key<string>({
    env: 'MSSP_TLS_CERT',
    doc: 'PEM certificate chain for HTTPS. Unset: plain HTTP (warned).',
    defaultText: '(unset: plain HTTP)',
    default: () => undefined,
    parse: absolutePath,
    unsafe: (value) =>
      value === undefined ? 'MSSP_TLS_CERT is unset: the listener speaks plain HTTP; use TLS in production' : undefined,
  }),
  tlsKeyFile: key<string>({
    env: 'MSSP_TLS_KEY',
    doc: 'PEM private key for HTTPS, required with MSSP_TLS_CERT.',
    defaultText: '(unset)',
    default: () => undefined,
    parse: absolutePath,
  }),
  logLevel: key({
    env: 'MSSP_LOG_LEVEL',
    doc: 'Log level of the structured (pino) log on standard output.',
    defaultText: 'info',
    default: () => 'info',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  }),
  auditCheckpointEntries: key({
    env: 'MSSP_AUDIT_CHECKPOINT_ENTRIES',
    doc: 'The audit log signs a checkpoint after this many new entries (or after MSSP_AUDIT_CHECKPOINT_MS, whichever comes first).',
    defaultText: '1000',
    default: () => 1000,
    parse: integer(1, 10_000_000),
  }),
  auditCheckpointMs: key({
    env: 'MSSP_AUDIT_CHECKPOINT_MS',
    doc: 'Longest time in milliseconds between audit checkpoints while entries keep coming.',
    defaultText: '60000',
    default: () => 60_000,
    parse: integer(1_000, 86_400_000),
  }),
  auditRequireTimeStamp: key({
    env: 'MSSP_AUDIT_REQUIRE_TIMESTAMP',
    doc: 'true: an audit checkpoint without an RFC 3161 time-stamp from the platform TSA is refused, and `mssp audit verify` fails on one. false: such checkpoints are stored and reported.',
    defaultText: 'false',
    default: () => false,
    parse: flag,
  }),
  auditWitnessFile: key<string>({
    env: 'MSSP_AUDIT_WITNESS_FILE',
    doc: 'File (ideally on other storage) to which every audit checkpoint is appended as a JSON line; `mssp audit verify` checks the store against it.',
    defaultText: '(unset)',
    default: () => undefined,
    parse: absolutePath,
  }),
  auditWitnessUrl: key<string>({
    env: 'MSSP_AUDIT_WITNESS_URL',
    doc: 'HTTP(S) endpoint to which every audit checkpoint is POSTed as JSON (retried with back-off until it answers 2xx).',
    defaultText: '(unset)',
    default: () => undefined,
    parse: httpUrl,
  }),
  publicBaseUrl: key<string>({
    env: 'MSSP_PUBLIC_BASE_URL',
    doc: 'Where relying parties reach the platform: `mssp ca init` writes <url>/ocsp, <url>/crl/<ca>.crl and <url>/ca/<ca>.cer into the certificates (authorityInfoAccess, cRLDistributionPoints).',
    defaultText: '(unset: http://<httpHost>:<httpPort>)',
    default: () => undefined,
    parse: (raw) => httpUrl(raw.replace(/\/+$/, '')),
  }),
  caOrganization: key({
    env: 'MSSP_CA_ORGANIZATION',
    doc: 'Organization (O=) of the CA and service certificates `mssp ca init` makes; the CAs are "<organization> Root CA" and "<organization> Issuing CA".',
    defaultText: 'MSSP Platform',
    default: () => 'MSSP Platform',
    parse: (raw) => {
      if (raw.trim() === '' || raw.length > 48) throw new Error('must be 1 to 48 characters');
      return raw.trim();
    },
  }),
  caCountry: key<string>({
    env: 'MSSP_CA_COUNTRY',
    doc: 'ISO 3166-1 alpha-2 country (C=) of the CAs; citizens\' certificates then carry serialNumber PNO<country>-<national id> (ETSI EN 319 412-1).',
    defaultText: '(unset)',
    default: () => undefined,
    parse: (raw) => {
      if (!/^[A-Z]{2}$/.test(raw)) throw new Error('must be two upper-case letters');
      return raw;
    },
  }),
  ocspValiditySeconds: key({
    env: 'MSSP_OCSP_VALIDITY_SECONDS',
    doc: 'nextUpdate − thisUpdate of OCSP responses; cached responses are re-signed after half of it, and a revocation drops them at once.',
    defaultText: '3600',
    default: () => 3600,
    parse: integer(60, 7 * 86_400),
  }),
  ocspCacheEntries: key({
    env: 'MSSP_OCSP_CACHE_ENTRIES',
    doc: 'Signed OCSP responses kept per node for requests without a nonce (RFC 5019); 0 signs every response afresh.',
    defaultText: '100000',
    default: () => 100_000,
    parse: integer(0, 10_000_000),
  }),
  pkiPollMs: key({
    env: 'MSSP_PKI_POLL_MS',
    doc: 'How often a running node reads certificate status changes made by other processes or nodes (dropping their cached OCSP responses, re-making CRLs) and checks CRL freshness.',
    defaultText: '1000',
    default: () => 1000,
    parse: integer(100, 3_600_000),
  }),
  tsaPolicyOid: key({
    env: 'MSSP_TSA_POLICY',
    doc: 'Policy OID the time-stamp authority (POST /tsa) writes into its tokens. The default is an X.667 UUID OID (2.25) that names this software\'s policy, not yours: set the OID of your TSA policy document.',
    defaultText: DEFAULT_TSA_POLICY,
    default: () => DEFAULT_TSA_POLICY,
    parse: (raw) => {
      if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(raw)) throw new Error('must be a dotted OID such as 1.3.6.1.4.1.99999.1');
      return raw;
    },
  }),
  operatorName: key({
    env: 'MSSP_OPERATOR',
    doc: 'Who runs `mssp` commands, as the audit log records them (actor operator:NAME of each operator.command entry). Set it per person where several share an account.',
    defaultText: 'the login name of the OS user',
    default: () => osUserName(),
    parse: (raw) => {
      if (!/^[\w.@+-]{1,64}$/.test(raw.trim())) throw new Error('must be 1-64 letters, digits or . _ @ + -');
      return raw.trim();
    },
  }),
  mssMaxRequestBytes: key({
    env: 'MSSP_MSS_MAX_REQUEST_BYTES',
    doc: 'Largest TS 102 204 SOAP request read (bytes); a larger one is refused with 101 before parsing.',
    defaultText: '1048576',
    default: () => 1024 * 1024,
    parse: integer(4096, 16 * 1024 * 1024),
  }),
  mssInstantWindowSeconds: key({
    env: 'MSSP_MSS_INSTANT_WINDOW_S',
    doc: "How far an AP's AP_Info@Instant may be from the platform's clock (seconds); further is refused with 101.",
    defaultText: '300',
    default: () => 300,
    parse: integer(1, 86_400),
  }),
  mssDefaultTimeoutSeconds: key({
    env: 'MSSP_MSS_DEFAULT_TIMEOUT_S',
    doc: 'Time limit of a signature transaction whose request gives no TimeOut (seconds); past it the transaction is 208 EXPIRED_TRANSACTION.',
    defaultText: '120',
    default: () => 120,
    parse: integer(1, 600),
  }),
  smscHost: key<string>({
    env: 'MSSP_SMSC_HOST',
    doc: 'Host of the SMSC the platform binds to as an ESME (SMPP 3.4 transceiver) to reach SIMs imported with `mssp sim import`. Unset: no mobile channel (with `mssp start --demo`, the simulated one).',
    defaultText: '(unset)',
    default: () => undefined,
    parse: text,
  }),
  smscPort: key({
    env: 'MSSP_SMSC_PORT',
    doc: 'TCP port of the SMSC.',
    defaultText: '2775',
    default: () => 2775,
    parse: integer(1, 65_535),
  }),
  smscSystemId: key({
    env: 'MSSP_SMSC_SYSTEM_ID',
    doc: 'system_id of the bind (at most 15 characters, as the SMSC operator assigned it).',
    defaultText: 'mssp',
    default: () => 'mssp',
    parse: (raw) => {
      if (raw.length < 1 || raw.length > 15) throw new Error('must be 1 to 15 characters');
      return raw;
    },
  }),
  smscPassword: key<string>({
    env: 'MSSP_SMSC_PASSWORD',
    doc: 'password of the bind (at most 8 characters in SMPP 3.4).',
    defaultText: '(unset)',
    default: () => undefined,
    secret: true,
    parse: (raw) => {
      if (raw.length > 8) throw new Error('must be at most 8 characters (SMPP 3.4)');
      return raw;
    },
    unsafe: (value, all) => (all.smscHost !== undefined && (value === undefined || value === '') ? 'is empty: the SMSC bind has no password' : undefined),
  }),
  smscSystemType: key<string>({
    env: 'MSSP_SMSC_SYSTEM_TYPE',
    doc: 'system_type of the bind, when the SMSC operator asks for one (at most 12 characters).',
    defaultText: '(unset: empty)',
    default: () => undefined,
    parse: (raw) => {
      if (raw.length > 12) throw new Error('must be at most 12 characters');
      return raw;
    },
  }),
  smscBinds: key({
    env: 'MSSP_SMSC_BINDS',
    doc: 'How many transceiver binds to keep open to the SMSC; submits are spread over them.',
    defaultText: '1',
    default: () => 1,
    parse: integer(1, 16),
  }),
  smscSubmitsPerSecond: key({
    env: 'MSSP_SMSC_SUBMITS_PER_S',
    doc: 'Throttle: submit_sm per second over all binds together, as agreed with the SMSC operator.',
    defaultText: '100',
    default: () => 100,
    parse: integer(1, 100_000),
  }),
  shortCode: key({
    env: 'MSSP_SHORT_CODE',
    doc: 'Source address (short code) of the requests to SIMs; the SMSC routes their answers (MO) to it.',
    defaultText: '12345',
    default: () => '12345',
    parse: (raw) => {
      if (!/^[0-9]{3,15}$/.test(raw)) throw new Error('must be 3 to 15 digits');
      return raw;
    },
  }),
};

/** The OS login name; a container without a passwd entry for its uid has none, so the uid stands in. */
function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

export type ConfigKey = keyof Config;
