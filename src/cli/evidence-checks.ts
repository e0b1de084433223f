import type { DecodedEvidence, EvidenceCheck, EvidencePkiChecks } from '../audit';
import {
  encodeCertId,
  parseCertificate,
  trustAnchorFromCertificate,
  verifyOcspResponse,
  verifySignedData,
  verifyTimeStampToken,
  namesMatch,
  nameToString,
  type Certificate,
  type CertIdHash,
  type CmsVerifySuccess,
} from '../pki';

/**
 * The PKI checks of an evidence bundle (src/audit/evidence.ts), on src/pki, against the root certificates the
 * auditor trusts — never against anything the bundle itself claims as a root. Signature and chain are checked at
 * the time of the time-stamp when there is a valid one (the proof of when the signature existed), else now.
 */

interface Memo {
  cms?: CmsVerifySuccess;
  genTime?: Date;
}

const fail = (part: EvidenceCheck['part'], message: string): EvidenceCheck => ({ part, ok: false, message });
const pass = (part: EvidenceCheck['part'], message: string): EvidenceCheck => ({ part, ok: true, message });

export function pkiEvidenceChecks(rootsDer: readonly Uint8Array[]): EvidencePkiChecks {
  const trustAnchors = rootsDer.map((der) => trustAnchorFromCertificate(parseCertificate(der)));
  const memo: Memo = {};

  const timeStamp = async (parts: DecodedEvidence): Promise<EvidenceCheck[]> => {
    if (parts.timeStampToken === undefined) return [fail('timestamp', 'the bundle has no time-stamp token: when the signature was made is not proven')];
    const result = await verifyTimeStampToken(parts.timeStampToken, {
      data: parts.signature,
      trustAnchors,
      intermediates: parts.certificates,
      revocation: { mode: 'off' },
    });
    if (!result.valid) return [fail('timestamp', `the time-stamp token does not verify for this signature: ${result.rule}: ${result.message}`)];
    memo.genTime = result.info.genTime;
    return [pass('timestamp', `time-stamped at ${result.info.genTime.toISOString()} by ${nameToString(result.signer.certificate.subject)} (serial ${result.info.serialNumber.toString(16)})`)];
  };

  const signature = async (parts: DecodedEvidence): Promise<EvidenceCheck[]> => {
    // The time-stamp first: its genTime is when the chain must have been valid.
    if (memo.genTime === undefined && parts.timeStampToken !== undefined) await timeStamp(parts);
    const time = memo.genTime ?? new Date();
    const result = await verifySignedData(parts.signature, {
      ...(parts.signedData !== undefined ? { detachedContent: parts.signedData } : {}),
      certificates: parts.certificates,
      trustAnchors,
      intermediates: parts.certificates,
      time,
      // The signer's status is proven by the bundled OCSP response (checked on its own below).
      revocation: { mode: 'off' },
    });
    if (!result.valid) return [fail('signature', `the CMS signature does not verify: ${result.rule}: ${result.message}`)];
    memo.cms = result;
    const signer = result.signer.certificate;
    return [pass('signature', `CMS signature valid at ${time.toISOString()}, signed by ${nameToString(signer.subject)} (serial ${Buffer.from(signer.serialNumber).toString('hex')}), chain to a trusted root`)];
  };

  const ocsp = async (parts: DecodedEvidence): Promise<EvidenceCheck[]> => {
    if (parts.ocspResponse === undefined) return [fail('ocsp', 'the bundle has no OCSP response: the certificate status at signing is not proven')];
    if (memo.cms === undefined) await signature(parts);
    const cms = memo.cms;
    if (cms === undefined) return [fail('ocsp', 'the signer certificate is unknown (the CMS signature did not verify)')];
    const signer = cms.signer.certificate;
    const path = cms.certificatePath ?? [];
    const issuer: Certificate | undefined = path.length >= 2 ? path[path.length - 2] : undefined;
    const issuerInfo = issuer !== undefined
      ? { name: issuer.subject, publicKey: issuer.subjectPublicKeyInfo }
      : trustAnchors.find((a) => namesMatch(a.name, signer.issuer));
    if (issuerInfo === undefined) return [fail('ocsp', 'the issuer of the signer certificate is not known')];
    const time = (memo.genTime ?? new Date()).getTime();
    let lastReason = '';
    for (const hash of ['sha1', 'sha256'] as CertIdHash[]) {
      const certId = encodeCertId({ issuerName: signer.issuer, issuerKey: issuerInfo.publicKey, serialNumber: signer.serialNumber }, hash);
      const verdict = verifyOcspResponse(parts.ocspResponse, { certId, issuer: { name: issuerInfo.name, publicKey: issuerInfo.publicKey }, time });
      if (verdict.ok) {
        if (verdict.status.kind !== 'good') return [fail('ocsp', `the OCSP response says the signer certificate was ${verdict.status.kind} at ${new Date(verdict.thisUpdate).toISOString()}`)];
        return [pass('ocsp', `OCSP: the signer certificate was good at ${new Date(verdict.thisUpdate).toISOString()} (signed by the ${verdict.signer === 'ca' ? 'CA' : 'delegated responder'})`)];
      }
      lastReason = verdict.reason;
    }
    return [fail('ocsp', `the OCSP response does not prove the signer certificate's status: ${lastReason}`)];
  };

  return { signature, ocsp, timeStamp };
}

