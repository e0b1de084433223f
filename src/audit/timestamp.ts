import { createHash } from 'node:crypto';
import { ContentInfo, SignedData, id_signedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TSTInfo, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import { AuditError } from './errors';

/**
 * RFC 3161 time-stamps on checkpoints. audit/ may not import pki/, so the TSA and the check of the token's CMS
 * signature are injected (the CLI wires src/pki/tsa). What audit checks itself is structural and needs no trust
 * decision: the token is a SignedData holding a TSTInfo whose message imprint is SHA-256 of this checkpoint.
 */

export type TimeStampHash = 'SHA-256';

/** Asks the platform TSA for a TimeStampToken (DER ContentInfo) over `digest`. */
export interface TimeStamper {
  stamp(digest: Buffer, hash: TimeStampHash): Promise<Buffer>;
}

export type TimeStampCheck = { readonly ok: true; readonly genTime: Date } | { readonly ok: false; readonly reason: string };

/** Checks a token's signature and the TSA certificate (path to a trusted root, timeStamping EKU) for `digest`. */
export interface TimeStampVerifier {
  verify(token: Buffer, digest: Buffer, hash: TimeStampHash): Promise<TimeStampCheck>;
}

export const SHA256_OID = '2.16.840.1.101.3.4.2.1';

export interface TimeStampInfo {
  readonly hashAlgorithm: string;
  readonly hashedMessage: Buffer;
  readonly genTime: Date;
  /** Serial number, hex. */
  readonly serialNumber: string;
  readonly policy: string;
}

// Verifying a log parses every checkpoint's token; ASN.1 parsing costs far more than hashing the token.
const parsedTokens = new Map<string, TimeStampInfo>();
const PARSED_TOKENS_KEPT = 256;

/** The TSTInfo inside a TimeStampToken; AuditError BAD_TIMESTAMP when it is not one. */
export function readTimeStampToken(token: Uint8Array): TimeStampInfo {
  const key = createHash('sha256').update(token).digest('base64');
  const known = parsedTokens.get(key);
  if (known !== undefined) return known;
  const info = parseTimeStampToken(token);
  if (parsedTokens.size >= PARSED_TOKENS_KEPT) parsedTokens.clear();
  parsedTokens.set(key, info);
  return info;
}

function parseTimeStampToken(token: Uint8Array): TimeStampInfo {
  try {
    const contentInfo = AsnConvert.parse(token, ContentInfo);
    if (contentInfo.contentType !== id_signedData) throw new Error('not a CMS SignedData');
    const signedData = AsnConvert.parse(contentInfo.content, SignedData);
    const encap = signedData.encapContentInfo;
    if (encap.eContentType !== id_ct_tstInfo) throw new Error(`content type is ${encap.eContentType}, not id-ct-TSTInfo`);
    const eContent = encap.eContent?.single?.buffer ?? encap.eContent?.any;
    if (eContent === undefined) throw new Error('the token has no TSTInfo');
    const info = AsnConvert.parse(eContent, TSTInfo);
    return {
      hashAlgorithm: info.messageImprint.hashAlgorithm.algorithm,
      hashedMessage: Buffer.from(info.messageImprint.hashedMessage.buffer),
      genTime: new Date(info.genTime.getTime()),
      serialNumber: Buffer.from(info.serialNumber).toString('hex'),
      policy: info.policy,
    };
  } catch (err) {
    throw new AuditError('BAD_TIMESTAMP', `not an RFC 3161 time-stamp token: ${(err as Error).message}`, { cause: err });
  }
}

/** Why `token` is not a time-stamp of `digest` (SHA-256), or undefined when its imprint matches. */
export function timeStampImprintProblem(token: Uint8Array, digest: Buffer): string | undefined {
  let info: TimeStampInfo;
  try {
    info = readTimeStampToken(token);
  } catch (err) {
    return (err as Error).message;
  }
  if (info.hashAlgorithm !== SHA256_OID) return `the time-stamp imprint uses hash ${info.hashAlgorithm}, not SHA-256`;
  if (!info.hashedMessage.equals(digest)) return 'the time-stamp token is for other data (its imprint is not SHA-256 of the checkpoint)';
  return undefined;
}
