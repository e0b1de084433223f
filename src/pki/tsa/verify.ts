import { createHash } from 'node:crypto';
import { bytesEqual } from '../der/reader';
import { isPkiParseError } from '../errors';
import { type CmsHash, digestFromAlgorithm } from '../cms/algorithms';
import { integerContent } from '../cms/der-writer';
import type { CmsVerifyFailure } from '../cms/errors';
import { CMS_OID } from '../cms/oids';
import { type CmsSignerResult, type CmsVerifySuccess, type VerifySignedDataOptions, verifySignedData } from '../cms/verify';
import { timeStampingCertificateProblem } from './certificate';
import { type TstInfo, parseTstInfo } from './tst-info';

/** Every way a time-stamp token can be refused; 'cms' carries the CMS failure (signature, path, …). */
export const TIME_STAMP_RULES = [
  /** The SignedData itself failed (see `cms.rule`). */
  'cms',
  /** Not a token: eContentType is not id-ct-TSTInfo, or there is not exactly one signer. */
  'not-a-time-stamp',
  /** TSTInfo does not parse. */
  'tst-info',
  /** No ESS signingCertificate(V2) signed attribute (RFC 3161 §2.4.1 requires one). */
  'signing-certificate',
  /** The signer certificate lacks a critical, sole id-kp-timeStamping extendedKeyUsage (§2.3). */
  'extended-key-usage',
  /** The token is for other data (its messageImprint differs). */
  'imprint-mismatch',
  /** The nonce differs from the one sent. */
  'nonce-mismatch',
] as const;

export type TimeStampRule = (typeof TIME_STAMP_RULES)[number];

export interface VerifyTimeStampOptions extends Omit<VerifySignedDataOptions, 'detachedContent'> {
  /** The data that was time-stamped; hashed with the token's own hash algorithm. */
  readonly data?: Uint8Array;
  /** Or the imprint itself. */
  readonly imprint?: { readonly hash: CmsHash; readonly hashedMessage: Uint8Array };
  /** The nonce sent in the request. */
  readonly nonce?: bigint;
}

export type TimeStampVerifyResult =
  | { readonly valid: true; readonly info: TstInfo; readonly signer: CmsSignerResult; readonly cms: CmsVerifySuccess }
  | { readonly valid: false; readonly rule: TimeStampRule; readonly message: string; readonly cms?: CmsVerifyFailure };

const refuse = (rule: TimeStampRule, message: string): TimeStampVerifyResult => ({ valid: false, rule, message });

/**
 * Verifies an RFC 3161 TimeStampToken (a DER ContentInfo): the CMS signature and, with trustAnchors, the TSA
 * certificate's path; then what makes it a time-stamp for this data (§2.4.2 and §2.3).
 */
export async function verifyTimeStampToken(token: Uint8Array, options: VerifyTimeStampOptions = {}): Promise<TimeStampVerifyResult> {
  const cms = await verifySignedData(token, options);
  if (!cms.valid) return { valid: false, rule: 'cms', message: `${cms.rule}: ${cms.message}`, cms };
  if (cms.contentType !== CMS_OID.tstInfo) return refuse('not-a-time-stamp', `content type ${cms.contentType} is not id-ct-TSTInfo`);
  if (cms.signers.length !== 1) return refuse('not-a-time-stamp', `a token has exactly one signature, not ${cms.signers.length}`);
  let info: TstInfo;
  try {
    info = parseTstInfo(cms.content);
  } catch (err) {
    if (isPkiParseError(err)) return refuse('tst-info', err.message);
    throw err;
  }
  const essPresent = cms.signedAttributes.some((a) => a.oid === CMS_OID.signingCertificate || a.oid === CMS_OID.signingCertificateV2);
  if (!essPresent) return refuse('signing-certificate', 'the token has no ESS signingCertificate or signingCertificateV2 attribute');
  const ekuProblem = timeStampingCertificateProblem(cms.signer.certificate);
  if (ekuProblem) return refuse('extended-key-usage', ekuProblem);

  const hash = digestFromAlgorithm(info.hashAlgorithm);
  if (options.imprint !== undefined) {
    if (!hash.ok || hash.value !== options.imprint.hash || !bytesEqual(info.hashedMessage, options.imprint.hashedMessage)) {
      return refuse('imprint-mismatch', 'the token is for another imprint');
    }
  }
  if (options.data !== undefined) {
    if (!hash.ok) return refuse('imprint-mismatch', `the token's imprint uses an unsupported hash: ${hash.message}`);
    if (!bytesEqual(createHash(hash.value).update(options.data).digest(), info.hashedMessage)) return refuse('imprint-mismatch', 'the token is for other data');
  }
  if (options.nonce !== undefined && (info.nonce === undefined || !bytesEqual(info.nonce, integerContent(options.nonce)))) {
    return refuse('nonce-mismatch', 'the token does not carry the nonce sent');
  }
  return { valid: true, info, signer: cms.signer, cms };
}
