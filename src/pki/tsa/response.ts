import { DerReader, Tag, bitIsSet, rawOf, readBitString, readCount, decodeString, valueOf } from '../der/reader';
import { PkiParseError } from '../errors';
import { integer, namedBits, sequence, utf8String } from '../cms/der-writer';
import { TSA_FAILURES, TSA_FAILURE_NAMES, type TsaFailure } from './errors';

/**
 * RFC 3161 §2.4.2 TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }
 * PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }
 */
export const PKI_STATUS = { granted: 0, grantedWithMods: 1, rejection: 2, waiting: 3, revocationWarning: 4, revocationNotification: 5 } as const;

export function encodeGranted(token: Uint8Array): Buffer {
  return sequence(sequence(integer(PKI_STATUS.granted)), Buffer.from(token));
}

/** A rejection: status 2, a statusString (RFC 3161's text for the failure, then ours), the failInfo bit. */
export function encodeRejection(failure: TsaFailure, detail?: string): Buffer {
  const texts = [utf8String(TSA_FAILURES[failure].text), ...(detail !== undefined ? [utf8String(detail)] : [])];
  return sequence(sequence(integer(PKI_STATUS.rejection), sequence(...texts), namedBits([TSA_FAILURES[failure].bit])));
}

export interface TimeStampResponse {
  readonly status: number;
  readonly statusStrings: readonly string[];
  readonly failures: readonly TsaFailure[];
  /** The TimeStampToken (a ContentInfo), DER, when one was returned. */
  readonly token: Uint8Array | undefined;
}

/** Parses a TimeStampResp (what a client of a TSA reads); throws PkiParseError. */
export function parseTimeStampResponse(der: Uint8Array): TimeStampResponse {
  const what = 'TimeStampResp';
  const root = DerReader.single(der, what);
  if (root.tag !== Tag.SEQUENCE) throw new PkiParseError(`${what}: expected a SEQUENCE`, 0);
  const r = DerReader.inside(root, what);
  const si = DerReader.inside(r.expect(Tag.SEQUENCE, 'status'), 'PKIStatusInfo');
  const status = readCount(si.expect(Tag.INTEGER, 'status'), 'status');
  const statusStrings: string[] = [];
  const textTlv = si.optional(Tag.SEQUENCE);
  if (textTlv) {
    const tr = DerReader.inside(textTlv, 'statusString');
    while (!tr.atEnd()) statusStrings.push(decodeString(Tag.UTF8String, valueOf(tr.expect(Tag.UTF8String, 'PKIFreeText'))) ?? '');
  }
  const failTlv = si.optional(Tag.BIT_STRING);
  si.end();
  const bits = failTlv ? readBitString(failTlv, 'failInfo') : undefined;
  const failures = bits ? TSA_FAILURE_NAMES.filter((f) => bitIsSet(bits, TSA_FAILURES[f].bit)) : [];
  const tokenTlv = r.atEnd() ? undefined : r.expect(Tag.SEQUENCE, 'timeStampToken');
  r.end();
  return { status, statusStrings, failures, token: tokenTlv ? rawOf(tokenTlv) : undefined };
}
