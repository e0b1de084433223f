import { bytesEqual, toHex } from '../der/reader';
import { keyNeedsInheritedParameters } from '../crypto/public-key';
import { type SubjectPublicKeyInfo, parametersAbsentOrNull } from '../x509/algorithm';
import { type Certificate, describeCertificate, isCaCertificate, keyUsageAllows } from '../x509/certificate';
import { CRL_REASON_NAMES, type Crl, CrlReason } from '../x509/crl';
import { ALL_REASONS, type DistributionPoint, type DistributionPointName, KeyUsageBit, type ReasonMask } from '../x509/extensions';
import { type GeneralName, generalNamesEqual } from '../x509/general-name';
import { type Name, nameToString, namesMatch } from '../x509/name';
import { OID } from '../x509/oids';
import { MAX_SIGNER_DEPTH, type ValidationContext } from './context';
import { checkSignedObject } from './signatures';
import type { IssuerInfo, RevocationSettings, TrustAnchor } from './types';

/**
 * Certificate status by OCSP hook and by CRL (RFC 5280 §6.3). Follows §6.3.3 step by step for each
 * distribution point of the certificate (or, when it names none, for CRLs issued by its issuer), with
 * delta CRLs used whenever a current one matches the complete CRL.
 */
export type RevocationOutcome =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly message: string }
  | { readonly status: 'undetermined'; readonly rule: 'crl-unavailable' | 'revocation-unknown'; readonly message: string };

export interface RevocationRequest {
  readonly cert: Certificate;
  readonly issuer: IssuerInfo;
  readonly anchor: TrustAnchor;
  readonly time: number;
  readonly settings: RevocationSettings;
  readonly context: ValidationContext;
}

/** CRL extensions we process; a critical one outside this list makes the CRL unusable (§5.2). */
const KNOWN_CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.authorityKeyIdentifier,
  OID.issuerAltName,
  OID.cRLNumber,
  OID.deltaCRLIndicator,
  OID.issuingDistributionPoint,
  OID.freshestCRL,
  OID.authorityInfoAccess,
]);

/** CRL entry extensions we process; a critical one outside this list makes the whole CRL unusable (§5.3). */
const KNOWN_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([OID.reasonCode, OID.holdInstructionCode, OID.invalidityDate, OID.certificateIssuer]);

/** The distribution point assumed for a certificate without cRLDistributionPoints: its issuer's full-scope CRL. */
const IMPLICIT_DP: DistributionPoint = { distributionPoint: undefined, reasons: undefined, cRLIssuer: undefined };

function unusableReason(crl: Crl): string | undefined {
  for (const e of crl.extensions) if (e.critical && !KNOWN_CRL_EXTENSIONS.has(e.oid)) return `unrecognised critical CRL extension ${e.oid}`;
  for (const entry of crl.entries) {
    for (const e of entry.extensions) if (e.critical && !KNOWN_ENTRY_EXTENSIONS.has(e.oid)) return `unrecognised critical CRL entry extension ${e.oid}`;
  }
  return undefined;
}

function currencyProblem(crl: Crl, time: number): string | undefined {
  if (crl.thisUpdate > time) return `thisUpdate ${new Date(crl.thisUpdate).toISOString()} is after the validation time`;
  // §6.3.3 (a)(2): a CRL whose nextUpdate has passed must be replaced by a newer one.
  if (crl.nextUpdate !== undefined && time > crl.nextUpdate) return `nextUpdate ${new Date(crl.nextUpdate).toISOString()} has passed`;
  return undefined;
}

function directoryNames(names: readonly GeneralName[] | undefined): Name[] {
  return (names ?? []).flatMap((g) => (g.kind === 'directoryName' ? [g.name] : []));
}

/** Full names of a DistributionPointName, resolving nameRelativeToCRLIssuer against `base` (§4.2.1.13). */
function fullNames(dpn: DistributionPointName, base: Name | undefined): GeneralName[] {
  if (dpn.kind === 'fullName') return [...dpn.names];
  if (!base) return [];
  return [{ kind: 'directoryName', name: { der: new Uint8Array(0), rdns: [...base.rdns, dpn.rdn] } }];
}

function anyNameInCommon(a: readonly GeneralName[], b: readonly GeneralName[]): boolean {
  return a.some((x) => b.some((y) => generalNamesEqual(x, y)));
}

/** §6.3.3 (b): does this complete CRL cover this certificate for this distribution point? Returns why not. */
function scopeProblem(cert: Certificate, dp: DistributionPoint, crl: Crl): string | undefined {
  const idp = crl.issuingDistributionPoint;
  if (dp.cRLIssuer) {
    // (b)(1): a DP naming its CRL issuer must be served by that issuer with an indirect CRL.
    if (!directoryNames(dp.cRLIssuer).some((n) => namesMatch(n, crl.issuer))) return 'CRL issuer is not the cRLIssuer of the distribution point';
    if (!idp?.indirectCRL) return 'the distribution point names a cRLIssuer but the CRL is not an indirect CRL';
  } else if (!namesMatch(crl.issuer, cert.issuer)) {
    return 'CRL issuer is not the certificate issuer';
  }
  if (!idp) return undefined;
  if (idp.distributionPoint) {
    const idpNames = fullNames(idp.distributionPoint, crl.issuer);
    if (dp.distributionPoint) {
      const dpBase = directoryNames(dp.cRLIssuer)[0] ?? cert.issuer;
      if (!anyNameInCommon(idpNames, fullNames(dp.distributionPoint, dpBase))) return 'issuingDistributionPoint name does not match the certificate distribution point';
    } else if (dp.cRLIssuer) {
      if (!anyNameInCommon(idpNames, dp.cRLIssuer)) return 'issuingDistributionPoint name does not match the cRLIssuer of the distribution point';
    } else {
      // A certificate without distribution points is covered only by full-scope CRLs of its issuer.
      return 'CRL is partitioned by distribution point and the certificate names none';
    }
  }
  if (idp.onlyContainsUserCerts && isCaCertificate(cert)) return 'CRL covers only end-entity certificates';
  if (idp.onlyContainsCACerts && !isCaCertificate(cert)) return 'CRL covers only CA certificates';
  if (idp.onlyContainsAttributeCerts) return 'CRL covers only attribute certificates';
  return undefined;
}

/** §5.3.3: the entry for this certificate, tracking certificateIssuer through an indirect CRL. */
function findEntry(crl: Crl, cert: Certificate): { readonly reason: number } | undefined {
  let entryIssuer: readonly Name[] = [crl.issuer];
  for (const entry of crl.entries) {
    if (entry.certificateIssuer) entryIssuer = directoryNames(entry.certificateIssuer);
    if (bytesEqual(entry.serialNumber, cert.serialNumber) && entryIssuer.some((n) => namesMatch(n, cert.issuer))) {
      return { reason: entry.reasonCode ?? CrlReason.unspecified };
    }
  }
  return undefined;
}

interface CrlSigner {
  readonly key: SubjectPublicKeyInfo;
  readonly parameters: Uint8Array | undefined;
}

function signs(crl: Crl, key: SubjectPublicKeyInfo, parameters: Uint8Array | undefined): boolean {
  return checkSignedObject(crl, key, parameters).ok;
}

/**
 * §6.3.3 (f)(g): find a key, on a valid path from the same trust anchor, that signed this CRL and may sign
 * CRLs. Tried in order: the trust anchor; the certificate's own issuer (already validated as part of this
 * path); any other certificate available whose subject is the CRL issuer, whose path is then built and
 * validated in full (revocation included).
 */
async function findCrlSigner(crl: Crl, req: RevocationRequest, notes: string[]): Promise<CrlSigner | undefined> {
  const { anchor, issuer, context } = req;
  const anchorParams = parametersAbsentOrNull(anchor.publicKey.algorithm) ? undefined : anchor.publicKey.algorithm.parameters;
  if (namesMatch(crl.issuer, anchor.name) && signs(crl, anchor.publicKey, anchorParams)) {
    if (!anchor.certificate || keyUsageAllows(anchor.certificate, KeyUsageBit.cRLSign)) return { key: anchor.publicKey, parameters: anchorParams };
    notes.push('trust anchor keyUsage lacks cRLSign');
  }
  if (issuer.certificate && namesMatch(crl.issuer, issuer.name) && signs(crl, issuer.publicKey, issuer.keyParameters)) {
    if (keyUsageAllows(issuer.certificate, KeyUsageBit.cRLSign)) return { key: issuer.publicKey, parameters: issuer.keyParameters };
    notes.push(`CRL signed by ${nameToString(issuer.name)} whose keyUsage lacks cRLSign`);
  }
  const seen = new Set<string>();
  // The issuer itself was tried above.
  if (issuer.certificate) seen.add(toHex(issuer.certificate.der));
  for (const candidate of context.pool) {
    const id = toHex(candidate.der);
    if (seen.has(id)) continue;
    seen.add(id);
    if (!namesMatch(candidate.subject, crl.issuer)) continue;
    if (keyNeedsInheritedParameters(candidate.subjectPublicKeyInfo)) continue;
    if (!signs(crl, candidate.subjectPublicKeyInfo, undefined)) continue;
    if (!keyUsageAllows(candidate, KeyUsageBit.cRLSign)) {
      notes.push(`CRL signer ${describeCertificate(candidate)} lacks cRLSign`);
      continue;
    }
    if (context.signerStack.some((c) => bytesEqual(c.der, candidate.der))) {
      // This CRL issuer's own path is being validated further up, and this CRL is what vouches for it:
      // a CRL issuer may cover its own certificate (PKITS 4.14.30). Its path is still checked up there.
      return { key: candidate.subjectPublicKeyInfo, parameters: undefined };
    }
    if (context.signerStack.length >= MAX_SIGNER_DEPTH) {
      notes.push('CRL issuer paths nest too deeply');
      continue;
    }
    if (context.budget.remainingSignerValidations <= 0) {
      notes.push('too many CRL issuer paths to validate');
      continue;
    }
    context.budget.remainingSignerValidations--;
    const result = await context.validateCrlSigner(candidate, anchor, [...context.signerStack, candidate]);
    if (result.valid) return { key: candidate.subjectPublicKeyInfo, parameters: undefined };
    notes.push(`CRL signer ${describeCertificate(candidate)} is not valid: ${result.rule}: ${result.message}`);
  }
  return undefined;
}

/** §5.2.4 / §6.3.3 (c): the freshest current delta CRL that extends this complete CRL, if any. */
function findDelta(complete: Crl, signer: CrlSigner, req: RevocationRequest): Crl | undefined {
  if (complete.crlNumber === undefined) return undefined;
  const idpBytes = (c: Crl): Uint8Array | undefined => c.extensions.find((e) => e.oid === OID.issuingDistributionPoint)?.value;
  const completeIdp = idpBytes(complete);
  let best: Crl | undefined;
  for (const delta of req.settings.crls ?? []) {
    if (delta.baseCrlNumber === undefined || delta.baseCrlNumber > complete.crlNumber) continue;
    if (!namesMatch(delta.issuer, complete.issuer)) continue;
    const deltaIdp = idpBytes(delta);
    if ((completeIdp === undefined) !== (deltaIdp === undefined)) continue;
    if (completeIdp && deltaIdp && !bytesEqual(completeIdp, deltaIdp)) continue;
    if (complete.authorityKeyIdentifier && delta.authorityKeyIdentifier && !bytesEqual(complete.authorityKeyIdentifier, delta.authorityKeyIdentifier)) continue;
    if (currencyProblem(delta, req.time) || unusableReason(delta)) continue;
    if (!signs(delta, signer.key, signer.parameters)) continue;
    if (!best || (delta.crlNumber ?? -1n) > (best.crlNumber ?? -1n)) best = delta;
  }
  return best;
}

function reasonName(code: number): string {
  return CRL_REASON_NAMES[code] ?? `reason ${code}`;
}

/** §6.3.3 for every distribution point, until the status is known or every reason is covered. */
async function checkCrls(req: RevocationRequest): Promise<RevocationOutcome> {
  const { cert, time } = req;
  const completeCrls = (req.settings.crls ?? []).filter((c) => c.baseCrlNumber === undefined);
  const dps = cert.ext.cRLDistributionPoints ?? [IMPLICIT_DP];
  let reasonsMask: ReasonMask = 0;
  let status: number | undefined; // undefined is UNREVOKED
  let statusSource = '';
  const notes: string[] = [];
  for (const dp of dps) {
    for (const crl of completeCrls) {
      if (reasonsMask === ALL_REASONS || status !== undefined) break;
      const label = `CRL of ${nameToString(crl.issuer)}`;
      const skip = scopeProblem(cert, dp, crl) ?? currencyProblem(crl, time) ?? unusableReason(crl);
      if (skip) {
        // Out-of-scope CRLs are expected (a CA's other partitions, other CAs' CRLs); only list real problems.
        const relevant = namesMatch(crl.issuer, cert.issuer) || directoryNames(dp.cRLIssuer).some((n) => namesMatch(n, crl.issuer));
        if (relevant) notes.push(`${label}: ${skip}`);
        continue;
      }
      // (d) the reasons this CRL can speak for, (e) and whether that adds anything.
      // The unused bit 0 is not a reason; masking it off keeps the "all reasons" comparison exact.
      const interim = (crl.issuingDistributionPoint?.onlySomeReasons ?? ALL_REASONS) & (dp.reasons ?? ALL_REASONS) & ALL_REASONS;
      if ((interim & ~reasonsMask) === 0) continue;
      const signer = await findCrlSigner(crl, req, notes);
      if (!signer) {
        notes.push(`${label}: no valid signer found`);
        continue;
      }
      const delta = findDelta(crl, signer, req);
      // (i) the delta first: it may add revocations or (removeFromCRL) lift a hold.
      if (delta) {
        const entry = findEntry(delta, cert);
        if (entry) {
          status = entry.reason;
          statusSource = `delta ${label}`;
        }
      }
      // (j) then the complete CRL, unless the delta already spoke.
      if (status === undefined) {
        const entry = findEntry(crl, cert);
        if (entry) {
          status = entry.reason;
          statusSource = label;
        }
      }
      // (k) removeFromCRL means not revoked.
      if (status === CrlReason.removeFromCRL) status = undefined;
      // (l)
      reasonsMask |= interim;
    }
  }
  if (status !== undefined) return { status: 'revoked', message: `revoked (${reasonName(status)}) per ${statusSource}` };
  if (reasonsMask !== ALL_REASONS) {
    const why =
      notes.length > 0
        ? `: ${[...new Set(notes)].join('; ')}`
        : ` (none of the ${completeCrls.length} complete CRLs given is from ${nameToString(cert.issuer)} or a cRLIssuer it names)`;
    const what = reasonsMask === 0 ? 'no usable CRL' : 'the usable CRLs do not cover every revocation reason';
    return { status: 'undetermined', rule: 'crl-unavailable', message: `${what}${why}` };
  }
  return { status: 'good' };
}

/** The status of one certificate of the path: OCSP hook first when given, CRLs next. */
export async function checkRevocation(req: RevocationRequest): Promise<RevocationOutcome> {
  const { settings, cert, issuer } = req;
  let ocspNote: string | undefined;
  if (settings.ocsp) {
    try {
      const answer = await settings.ocsp(cert, issuer);
      if (answer === 'revoked') return { status: 'revoked', message: 'revoked per OCSP' };
      if (answer === 'good') return { status: 'good' };
      ocspNote = 'OCSP answered unknown';
    } catch (err) {
      ocspNote = `OCSP check failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const outcome = await checkCrls(req);
  if (outcome.status === 'undetermined' && ocspNote !== undefined) {
    return { status: 'undetermined', rule: 'revocation-unknown', message: `${ocspNote}; ${outcome.message}` };
  }
  return outcome;
}
