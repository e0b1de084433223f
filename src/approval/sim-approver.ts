import { createHash, X509Certificate } from 'node:crypto';
import { isAppletChannelError, type AppletChannelErrorCode } from '../channel/sim';
import type { AppletRequest, AppletResponse, SignatureAlgorithm, ToBeSigned } from '../channel/applet';
import type { ApprovalKey, ApprovalOutcome, ApprovalRequest, Approver } from './index';

/**
 * The Approver over the SIM signature applet (src/channel/sim AppletChannel): the request becomes an applet
 * request in an OTA-secured SMS, the citizen's SIM answers, and the answer becomes an outcome. The certificates
 * come from the mobile-ID directory (the RA), never from the phone: the applet only names its certificate by
 * hash, and a signature by a key the directory does not hold for that MSISDN is not accepted as signed.
 */

/** The part of AppletChannel used here (a test may stand a narrow fake in its place). */
export interface AppletRequester {
  request(msisdn: string, request: AppletRequest, options?: { readonly timeoutMs?: number }): Promise<{ readonly response: AppletResponse }>;
}

/** The citizen's current certificates for an MSISDN (DER), from the mobile-ID directory. */
export interface CitizenCertificates {
  current(msisdn: string): Promise<{ readonly authentication?: Uint8Array; readonly signature?: Uint8Array } | undefined>;
}

export interface SimApproverOptions {
  readonly channel: AppletRequester;
  readonly certificates: CitizenCertificates;
  /** MSISDNs with a SIM the channel can reach (a personalised SIM with OTA keys). */
  readonly reachable: (msisdn: string) => boolean | Promise<boolean>;
}

/** What the applet can take as data; longer data is sent as its SHA-256 (raw signatures only: FORMAT.md). */
const MAX_APPLET_DATA = 512;

/** Per certificate object: parsing an X.509 certificate for its key type cost more than the rest of approve(). */
const algorithms = new WeakMap<Uint8Array, SignatureAlgorithm>();

function algorithmFor(certificate: Uint8Array): SignatureAlgorithm {
  const known = algorithms.get(certificate);
  if (known !== undefined) return known;
  const key = new X509Certificate(certificate).publicKey;
  let algorithm: SignatureAlgorithm;
  if (key.asymmetricKeyType === 'rsa') algorithm = 'rsa-pkcs1-sha256';
  else if (key.asymmetricKeyType === 'ec') algorithm = key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ecdsa-p384-sha384' : 'ecdsa-p256-sha256';
  else throw new Error(`no applet signature algorithm for a ${String(key.asymmetricKeyType)} key`);
  algorithms.set(certificate, algorithm);
  return algorithm;
}

/** The applet's 1-16 octet reference: derived from our MSSP_TransID so a log line can be matched to it. */
function transactionRef(reference: string): Buffer {
  return createHash('sha256').update(reference).digest().subarray(0, 16);
}

/** A channel failure is an outcome for the relying party, not an error: the citizen could not be reached. */
const CHANNEL_OUTCOMES: Partial<Record<AppletChannelErrorCode, ApprovalOutcome['kind']>> = {
  UNKNOWN_MSISDN: 'unknown-user',
  TIMEOUT: 'timeout',
  SUBMIT_FAILED: 'unreachable',
  POR_ERROR: 'unreachable',
  BAD_RESPONSE: 'unreachable',
  OTA_KEYS: 'unreachable',
  CLOSED: 'unreachable',
};

export class SimApprover implements Approver {
  constructor(private readonly options: SimApproverOptions) {}

  async lookup(msisdn: string): Promise<{ readonly keys: readonly ApprovalKey[] } | undefined> {
    if (!(await this.options.reachable(msisdn))) return undefined;
    const certs = await this.options.certificates.current(msisdn);
    if (certs === undefined) return undefined;
    const keys: ApprovalKey[] = [];
    if (certs.authentication !== undefined) keys.push('authentication');
    if (certs.signature !== undefined) keys.push('signature');
    return { keys };
  }

  async approve(request: ApprovalRequest): Promise<ApprovalOutcome> {
    const certs = await this.options.certificates.current(request.msisdn);
    if (certs === undefined) return { kind: 'unknown-user' };
    const certificate = request.key === 'authentication' ? certs.authentication : certs.signature;
    if (certificate === undefined) return { kind: 'no-key' };
    const data = request.dataToBeSigned;
    let toBeSigned: ToBeSigned;
    if (data.length <= MAX_APPLET_DATA) toBeSigned = { kind: 'data', data };
    else if (request.format === 'PKCS1') toBeSigned = { kind: 'hash', algorithm: 'sha-256', digest: createHash('sha256').update(data).digest() };
    // The applet makes CMS only over data it holds (FORMAT.md); more than fits is a request this SIM cannot sign.
    else return { kind: 'no-key' };
    const appletRequest: AppletRequest = {
      transactionRef: transactionRef(request.reference),
      operation: request.key === 'authentication' ? 'authenticate' : 'sign',
      displayText: request.display,
      toBeSigned,
      keyReference: request.key === 'authentication' ? 'authentication' : 'signing',
      algorithm: algorithmFor(certificate),
      signatureFormat: request.format === 'PKCS7' ? 'cms' : 'raw',
    };
    let response: AppletResponse;
    try {
      response = (await this.options.channel.request(request.msisdn, appletRequest, { timeoutMs: request.timeoutMs })).response;
    } catch (err) {
      const kind = isAppletChannelError(err) ? CHANNEL_OUTCOMES[err.code] : undefined;
      if (kind !== undefined) return { kind } as ApprovalOutcome;
      throw err;
    }
    if (response.outcome === 'signed') {
      const expected = createHash('sha256').update(certificate).digest();
      // The SIM signed with a key whose certificate is not the one on record: not this citizen's signature.
      if (!expected.equals(Buffer.from(response.certificateRef))) return { kind: 'no-key' };
      return { kind: 'signed', signature: response.signature.value, certificate };
    }
    if (response.outcome === 'displayed') return { kind: 'unreachable' };
    return { kind: response.outcome };
  }

  async notify(msisdn: string, message: string): Promise<boolean> {
    if (!(await this.options.reachable(msisdn))) return false;
    try {
      const { response } = await this.options.channel.request(msisdn, { transactionRef: transactionRef(`receipt:${msisdn}:${Date.now()}`), operation: 'show-receipt', displayText: message });
      return response.outcome === 'displayed';
    } catch (err) {
      if (isAppletChannelError(err)) return false;
      throw err;
    }
  }
}
