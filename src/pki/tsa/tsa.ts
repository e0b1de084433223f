import type { HsmKey, HsmKeyPair, SignatureAlgorithmName } from '../../hsm';
import type { Logger } from '../../log';
import type { CountersRepository } from '../../store';
import { DerReader, bytesEqual, readOid, toHex } from '../der/reader';
import { isPkiParseError } from '../errors';
import { type Certificate, parseCertificate } from '../x509/certificate';
import { CURVES } from '../crypto/algorithms';
import { OID } from '../x509/oids';
import { type CmsHash, CMS_DIGESTS } from '../cms/algorithms';
import { integerContent, octetString, oid, sequence } from '../cms/der-writer';
import { CMS_OID } from '../cms/oids';
import { createSignedData } from '../cms/sign';
import { type CmsSigner, hsmSigner, type SigningToken } from '../cms/signer';
import { timeStampingCertificateProblem } from './certificate';
import { TsaConfigError, TsaError, type TsaFailure, isTsaError } from './errors';
import { type TimeStampQuery, DEFAULT_MAX_QUERY_BYTES, parseTimeStampQuery } from './query';
import { encodeGranted, encodeRejection } from './response';
import { type SerialSource, counterSerials } from './serial';
import { type Accuracy, accuracyBelowOneSecond, accuracyProblem, encodeTstInfo } from './tst-info';

export interface TsaSettings {
  /** Signs the tokens; its certificate must carry a critical extendedKeyUsage id-kp-timeStamping alone. */
  readonly signer: CmsSigner;
  readonly serials: SerialSource;
  /** The TSA policy of tokens whose request names none (TSTInfo.policy). */
  readonly policyOid: string;
  /** Further policies a request may name (the token then carries that one), besides policyOid. Any other gets unacceptedPolicy. */
  readonly acceptedPolicies?: readonly string[];
  /** Default { seconds: 1 }. Below one second, genTime carries milliseconds. */
  readonly accuracy?: Accuracy;
  /** Put the TSA's subject in TSTInfo.tsa. Default true. */
  readonly includeTsaName?: boolean;
  /** Largest TimeStampReq accepted, in bytes. Default 4096. */
  readonly maxQueryBytes?: number;
  /** Milliseconds since the epoch; default Date.now. */
  readonly clock?: () => number;
  readonly logger: Logger;
}

export interface TsaReply {
  /** DER TimeStampResp, ready for the wire. */
  readonly der: Buffer;
  readonly status: 'granted' | 'rejection';
  readonly failure?: TsaFailure;
  readonly serialNumber?: bigint;
}

export interface TimeStampInput {
  readonly hash: CmsHash;
  readonly hashedMessage: Uint8Array;
  readonly nonce?: bigint;
  readonly certReq?: boolean;
  readonly reqPolicy?: string;
}

export interface IssuedTimeStamp {
  /** The TimeStampToken: a ContentInfo holding SignedData over TSTInfo. */
  readonly token: Buffer;
  readonly serialNumber: bigint;
  readonly genTime: Date;
}

const HASH_NAMES: Readonly<Record<'SHA-256' | 'SHA-384' | 'SHA-512', CmsHash>> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/**
 * An RFC 3161 time-stamp authority: parses a TimeStampReq strictly, issues a TSTInfo with a never-repeating
 * serial number, an accuracy and the nonce echoed, signs it as CMS SignedData (eContentType id-ct-TSTInfo,
 * ESS signingCertificateV2 as RFC 5816 allows) and answers with a TimeStampResp. Every refusal is a
 * rejection response with a failInfo and a log line; nothing a client sends makes it throw.
 */
export class TimeStampAuthority {
  readonly certificate: Certificate;
  readonly policyOid: string;
  readonly accuracy: Accuracy;
  private readonly acceptedPolicies: ReadonlySet<string>;
  private readonly tsaName: Uint8Array | undefined;
  private readonly clock: () => number;
  private readonly maxQueryBytes: number;
  private readonly logger: Logger;

  constructor(private readonly settings: TsaSettings) {
    this.certificate = parseTsaCertificate(settings.signer.certificate);
    const problem = timeStampingCertificateProblem(this.certificate);
    if (problem) throw new TsaConfigError(problem);
    this.policyOid = settings.policyOid;
    try {
      oid(this.policyOid);
      (settings.acceptedPolicies ?? []).forEach((p) => oid(p));
    } catch (err) {
      throw new TsaConfigError(`TSA policy: ${(err as Error).message}`);
    }
    this.accuracy = settings.accuracy ?? { seconds: 1 };
    const accuracyIssue = accuracyProblem(this.accuracy);
    if (accuracyIssue) throw new TsaConfigError(accuracyIssue);
    this.acceptedPolicies = new Set([this.policyOid, ...(settings.acceptedPolicies ?? [])]);
    this.tsaName = settings.includeTsaName === false ? undefined : this.certificate.subject.der;
    this.clock = settings.clock ?? Date.now;
    this.maxQueryBytes = settings.maxQueryBytes ?? DEFAULT_MAX_QUERY_BYTES;
    this.logger = settings.logger;
  }

  /** Answers one DER TimeStampReq with a DER TimeStampResp. Never rejects. */
  async respond(query: Uint8Array): Promise<TsaReply> {
    let parsed: TimeStampQuery;
    try {
      parsed = parseTimeStampQuery(query, this.maxQueryBytes);
    } catch (err) {
      return this.failed(err, query.length);
    }
    try {
      const issued = await this.issue(parsed);
      return { der: encodeGranted(issued.token), status: 'granted', serialNumber: issued.serialNumber };
    } catch (err) {
      return this.failed(err, query.length);
    }
  }

  /** A rejection response, logged. For the HTTP route's own refusals (content type, size). */
  reject(failure: TsaFailure, reason: string, context: Record<string, unknown> = {}): TsaReply {
    this.logger.warn({ tsa: 'rejected', failInfo: failure, reason, ...context }, 'time-stamp request rejected');
    return { der: encodeRejection(failure, reason), status: 'rejection', failure };
  }

  /** Time-stamps an imprint directly (in-process callers). Throws TsaError for what a request could get rejected for. */
  async timeStamp(input: TimeStampInput): Promise<IssuedTimeStamp> {
    const spec = CMS_DIGESTS[input.hash];
    if (spec === undefined) throw new TsaError('badAlg', `hash ${String(input.hash)} is not supported`);
    if (input.hashedMessage.length !== spec.bytes) throw new TsaError('badDataFormat', `a ${input.hash} imprint is ${spec.bytes} bytes, not ${input.hashedMessage.length}`);
    if (input.nonce !== undefined && (input.nonce <= 0n || input.nonce >= 1n << 512n)) throw new TsaError('badDataFormat', 'nonce must be positive and at most 512 bits');
    const nonce = input.nonce === undefined ? undefined : integerContent(input.nonce);
    return this.issue({
      hash: input.hash,
      messageImprint: sequence(sequence(oid(spec.oid)), octetString(input.hashedMessage)),
      hashedMessage: input.hashedMessage,
      reqPolicy: input.reqPolicy,
      nonce,
      certReq: input.certReq ?? false,
      extensions: [],
    });
  }

  /** The audit log's TimeStamper shape: a token over `digest`. */
  async stamp(digest: Uint8Array, hash: keyof typeof HASH_NAMES = 'SHA-256'): Promise<Buffer> {
    return (await this.timeStamp({ hash: HASH_NAMES[hash], hashedMessage: digest, certReq: true })).token;
  }

  private async issue(query: TimeStampQuery): Promise<IssuedTimeStamp> {
    if (query.reqPolicy !== undefined && !this.acceptedPolicies.has(query.reqPolicy)) {
      throw new TsaError('unacceptedPolicy', `policy ${query.reqPolicy} is not offered`);
    }
    const serialNumber = await this.settings.serials.next();
    // genTime as the token states it: whole seconds unless the accuracy claims better (so the value returned and logged is the token's).
    const now = this.clock();
    const genTime = new Date(accuracyBelowOneSecond(this.accuracy) ? now : Math.floor(now / 1000) * 1000);
    // §2.4.1: reqPolicy names the policy the token should be issued under; it is one we offer (checked above).
    const policy = query.reqPolicy ?? this.policyOid;
    const tstInfo = encodeTstInfo({
      policy,
      messageImprint: query.messageImprint,
      serialNumber,
      genTime,
      accuracy: this.accuracy,
      ...(query.nonce !== undefined ? { nonce: query.nonce } : {}),
      ...(this.tsaName !== undefined ? { tsaName: this.tsaName } : {}),
    });
    const token = await createSignedData({
      content: tstInfo,
      contentType: CMS_OID.tstInfo,
      signer: this.settings.signer,
      signingTime: genTime,
      // §2.4.1: with certReq the TSA certificate must be in the token; the chain helps a verifier that has only the root.
      certificates: query.certReq ? 'chain' : 'none',
    });
    this.logger.info(
      { tsa: 'granted', serialNumber: serialNumber.toString(16), policy, hash: query.hash, nonce: query.nonce !== undefined, certReq: query.certReq, genTime: genTime.toISOString() },
      'time-stamp issued',
    );
    return { token, serialNumber, genTime };
  }

  private failed(err: unknown, bytes: number): TsaReply {
    if (isTsaError(err)) return this.reject(err.failure, err.message, { bytes });
    // The client learns only that the system failed; the log has the cause (HSM, store).
    this.logger.error({ tsa: 'failed', err, bytes }, 'time-stamp request failed');
    return { der: encodeRejection('systemFailure'), status: 'rejection', failure: 'systemFailure' };
  }
}

function parseTsaCertificate(der: Uint8Array): Certificate {
  try {
    return parseCertificate(der);
  } catch (err) {
    if (isPkiParseError(err)) throw new TsaConfigError(`TSA certificate: ${err.message}`);
    throw err;
  }
}

/** The part of an Hsm createTsa uses. */
export interface TsaToken extends SigningToken {
  publicKeySpki(key: HsmKey): Promise<Uint8Array>;
  findKeyPair(query: { readonly label?: string }): Promise<HsmKeyPair>;
}

export interface CreateTsaOptions extends Omit<TsaSettings, 'signer' | 'serials'> {
  readonly hsm: TsaToken;
  /** The TSA private key, or its label in the token. */
  readonly key?: HsmKey;
  readonly keyLabel?: string;
  /** Default from the certificate's key: ES256/ES384/ES512 by curve, RS256 for RSA (openssl ts verifies PKCS#1 v1.5). */
  readonly algorithm?: SignatureAlgorithmName;
  readonly certificate: Uint8Array;
  /** Issuing CA certificates to include with certReq (not the root). */
  readonly chain?: readonly Uint8Array[];
  readonly counters: Pick<CountersRepository, 'next'>;
  readonly counterName?: string;
  /** See counterSerials. Default 'random'. */
  readonly serialPrefix?: 'random' | 'none';
}

function defaultAlgorithm(cert: Certificate): SignatureAlgorithmName {
  const alg = cert.subjectPublicKeyInfo.algorithm;
  if (alg.oid === OID.rsaEncryption) return 'RS256';
  if (alg.oid === OID.ecPublicKey && alg.parameters !== undefined) {
    const curve = CURVES[readOid(DerReader.single(alg.parameters, 'namedCurve'), 'namedCurve')]?.name;
    if (curve === 'P-256') return 'ES256';
    if (curve === 'P-384') return 'ES384';
    if (curve === 'P-521') return 'ES512';
  }
  throw new TsaConfigError(`no signature algorithm for the TSA key ${alg.oid}; set one`);
}

/**
 * A TSA whose key is in a PKCS#11 token. Checks at start-up what would otherwise make every token useless:
 * the certificate's extendedKeyUsage (RFC 3161 §2.3) and that the token key is the certificate's key.
 */
export async function createTsa(options: CreateTsaOptions): Promise<TimeStampAuthority> {
  const { hsm, certificate } = options;
  const cert = parseTsaCertificate(certificate);
  let key = options.key;
  if (key === undefined) {
    if (options.keyLabel === undefined) throw new TsaConfigError('give the TSA key or its label');
    key = (await hsm.findKeyPair({ label: options.keyLabel })).privateKey;
  }
  const spki = await hsm.publicKeySpki(key);
  if (!bytesEqual(spki, cert.subjectPublicKeyInfo.der)) {
    throw new TsaConfigError(`the TSA key${options.keyLabel ? ` "${options.keyLabel}"` : ''} is not the key of the TSA certificate (serial ${toHex(cert.serialNumber)})`);
  }
  const algorithm = options.algorithm ?? defaultAlgorithm(cert);
  return new TimeStampAuthority({
    ...options,
    signer: hsmSigner(hsm, key, { algorithm, certificate, ...(options.chain !== undefined ? { chain: options.chain } : {}) }),
    serials: counterSerials(options.counters, {
      ...(options.counterName !== undefined ? { counterName: options.counterName } : {}),
      ...(options.serialPrefix !== undefined ? { prefix: options.serialPrefix } : {}),
    }),
  });
}

