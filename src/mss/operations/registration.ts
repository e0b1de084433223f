import { currentPair, isRaError, type MobileIdView, type RaErrorCode, type RegistrationAuthority } from '../../pki';
import type { ApRecord } from '../../store';
import type { RegistrationReq, RegistrationResp } from '../messages/types';
import { MssFault, STATUS_CODES, type FaultCode } from '../status';
import { answerHeader, type OperationContext } from './context';

/**
 * MSS_Registration reaches the RA: an AP holding the `registration` permission registers a citizen it has
 * identified (remote registration: Y.2740 level 3 at most) with two PKCS#10 requests made in the SIM, then
 * activates the registration. Until then the mobile ID is pending and its certificates are on hold, so nothing
 * can be signed with them. The RA checks and audits everything as it does for an officer; the officer here is
 * `ap:<AP_ID>`, and an AP can activate only what it registered.
 */

/** The RA's refusals as TS 102 204 codes: the request was wrong (101), the user unknown (105), or refused (407). */
const RA_FAULTS = {
  INVALID_MSISDN: 101,
  INVALID_IDENTITY: 101,
  INVALID_CSR: 101,
  PROOF_OF_POSSESSION: 101,
  KEY_NOT_ALLOWED: 101,
  MID_AMBIGUOUS: 101,
  KEY_IN_USE: 407,
  INVALID_TRANSITION: 407,
  MID_NOT_FOUND: 105,
} as const satisfies Record<RaErrorCode, FaultCode>;

const DEFAULT_LABEL = 'government';

function answer(ctx: OperationContext, req: RegistrationReq, mid: string, signatureCertificate: Uint8Array): RegistrationResp {
  return {
    kind: 'MSS_RegistrationResp',
    ...answerHeader(ctx, req),
    status: { code: 100, message: STATUS_CODES[100].name },
    // The mobile ID names the registration for the AP's records (and the activation); the response has room for
    // one certificate: the signature certificate, against which the AP will check the citizen's signatures.
    certificateUri: mid,
    x509Certificate: Buffer.from(signatureCertificate).toString('base64'),
  };
}

function pendingOf(views: readonly MobileIdView[], officer: string, mid: string | undefined): MobileIdView {
  const pending = views.filter((v) => v.current.status === 'pending' && v.mobileId.officer === officer && (mid === undefined || v.mobileId.mid === mid));
  const [only] = pending;
  // Another AP's registration, an active one or none at all look the same: no such registration for this AP.
  if (only === undefined) throw new MssFault(105, 'no registration of this AP awaits activation for this MSISDN');
  if (pending.length > 1) throw new MssFault(101, 'several registrations await activation for this MSISDN: name one with reg:MobileId');
  return only;
}

async function run(ctx: OperationContext, ra: RegistrationAuthority, ap: ApRecord, req: RegistrationReq): Promise<RegistrationResp> {
  const payload = req.registration;
  if (payload === undefined) throw new MssFault(102, 'MSS_RegistrationReq needs a reg:Registration element (urn:mssp-platform:registration:1)');
  const msisdn = req.mobileUser.msisdn as string;
  const officer = `ap:${ap.apId}`;
  switch (payload.action) {
    case 'register': {
      const result = await ra.register({
        identity: { givenName: payload.givenName, familyName: payload.familyName, nationalId: payload.nationalId, birthDate: payload.birthDate },
        msisdn,
        label: payload.label ?? DEFAULT_LABEL,
        mode: 'remote',
        officer,
        authenticationRequest: Buffer.from(payload.authenticationRequest, 'base64'),
        signatureRequest: Buffer.from(payload.signatureRequest, 'base64'),
        pendingActivation: true,
      });
      ctx.logger.info({ apId: ap.apId, mid: result.mid, msisdn: result.msisdn }, 'mobile ID registered over MSS_Registration, pending activation');
      return answer(ctx, req, result.mid, result.signature.der);
    }
    case 'activate': {
      const target = pendingOf(await ra.show(msisdn), officer, payload.mobileId);
      const view = await ra.activate({ mid: target.mobileId.mid, officer });
      ctx.logger.info({ apId: ap.apId, mid: view.mobileId.mid, msisdn: view.current.msisdn }, 'mobile ID activated over MSS_Registration');
      return answer(ctx, req, view.mobileId.mid, currentPair(view).sign.der);
    }
  }
}

export async function mssRegistration(ctx: OperationContext, ap: ApRecord, req: RegistrationReq): Promise<RegistrationResp> {
  if (!ap.permissions.includes('registration')) throw new MssFault(104, 'this AP may not register mobile IDs (permission registration)');
  const ra = ctx.registrationAuthority;
  if (ra === undefined) throw new MssFault(407, 'this MSSP has no registration authority (run `mssp ca init`)');
  try {
    return await run(ctx, ra, ap, req);
  } catch (err) {
    if (isRaError(err)) throw new MssFault(RA_FAULTS[err.code], err.message, true, { cause: err });
    throw err;
  }
}
