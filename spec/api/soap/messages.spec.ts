import { readSoapRequest } from '../../../src/api/soap/envelope';
import { messageXml, soapEnvelope } from '../../../src/api/soap/serialize';
import { readRequest } from '../../../src/mss/messages/read';
import type { MssRequest, MssResponse } from '../../../src/mss/messages/types';
import { MssFault } from '../../../src/mss/status';
import { apHeader, signatureReq } from './samples';
import { xmllintValidate } from './xmllint';

const secure = { MSS_Signature: true, MSS_Registration: false, MSS_Notification: true, MSS_ProfileQuery: true, MSS_Receipt: true, MSS_Status: true };
const user = { msisdn: '+35840000001' };

const requests: MssRequest[] = [
  signatureReq(),
  signatureReq({ messagingMode: 'asynchClientServer', signatureProfileComparison: 'minimum', validityDate: new Date('2026-12-01T00:00:00Z') }),
  { kind: 'MSS_StatusReq', ...apHeader('A1002'), msspTransId: 'T0001' },
  { kind: 'MSS_ReceiptReq', ...apHeader('A1003'), msspTransId: 'T0001', mobileUser: user, status: { code: 100 }, message: { value: 'Thank you', mimeType: 'text/plain' } },
  { kind: 'MSS_ProfileReq', ...apHeader('A1004'), mobileUser: user },
  { kind: 'MSS_RegistrationReq', ...apHeader('A1005'), mobileUser: user, certificateUri: 'http://ca.example/c/1' },
  {
    kind: 'MSS_HandshakeReq',
    ...apHeader('A1006'),
    secureMethods: secure,
    certificates: ['AAEC'],
    rootCaDns: ['CN=Root'],
    signatureAlgorithms: [{ mssUri: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256' }],
  },
];

const responses: MssResponse[] = [
  {
    kind: 'MSS_SignatureResp',
    ...apHeader(),
    msspTransId: 'T0001',
    mobileUser: user,
    signature: { base64Signature: 'MIAGCSqGSIb3DQEHAqCAMIACAQE=' },
    signatureProfile: { mssUri: 'http://mssp.example/profiles/sign' },
    status: { code: 502, message: 'VALID_SIGNATURE' },
  },
  { kind: 'MSS_SignatureResp', ...apHeader(), msspTransId: 'T0002', mobileUser: user, status: { code: 100, message: 'REQUEST_OK' } },
  { kind: 'MSS_StatusResp', ...apHeader(), mobileUser: user, status: { code: 504, message: 'OUTSTANDING_TRANSACTION' } },
  { kind: 'MSS_StatusResp', ...apHeader(), mobileUser: user, signature: { base64Signature: 'AAEC' }, status: { code: 500 } },
  { kind: 'MSS_ReceiptResp', ...apHeader(), status: { code: 100 } },
  {
    kind: 'MSS_ProfileResp',
    ...apHeader(),
    signatureProfiles: [{ mssUri: 'http://mssp.example/profiles/auth' }, { mssUri: 'http://mssp.example/profiles/sign', digestAlgAndValue: { digestMethod: 'http://www.w3.org/2001/04/xmlenc#sha256', digestValue: 'AAEC' } }],
    status: { code: 100 },
  },
  { kind: 'MSS_RegistrationResp', ...apHeader(), status: { code: 100 }, x509Certificate: 'AAEC' },
  {
    kind: 'MSS_HandshakeResp',
    ...apHeader(),
    msspTransId: 'T0003',
    secureMethods: secure,
    matchingMsspCertificates: [],
    matchingApCertificates: ['AAEC'],
    matchingSignatureAlgorithms: [{ mssUri: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256' }],
  },
];

describe('TS 102 204 messages we send validate against the ETSI schema (xmllint)', () => {
  it.each(responses.map((r, i) => [`${r.kind} #${i}`, r] as const))('%s, alone and in its SOAP envelope', (_name, response) => {
    const alone = xmllintValidate(messageXml(response));
    expect(alone.output).toBe('');
    const wrapped = xmllintValidate(soapEnvelope('MSS_Response', response));
    expect(wrapped.output).toBe('');
    expect(wrapped.ok).toBe(true);
  });

  it('a message the schema refuses is caught by the check (the check is not a no-op)', () => {
    const broken = messageXml(responses[2] as MssResponse).replace(/<mss:MobileUser>.*<\/mss:MobileUser>/, '');
    expect(xmllintValidate(broken).ok).toBe(false);
  });
});

describe('requests: serialise, validate with xmllint, read back through the one validation', () => {
  it.each(requests.map((r) => [r.kind + (r.kind === 'MSS_SignatureReq' ? `/${r.messagingMode}` : ''), r] as const))('%s', (_name, request) => {
    const envelope = soapEnvelope(request.kind.replace(/Req$/, ''), request);
    expect(xmllintValidate(envelope).output).toBe('');
    const soap = readSoapRequest(envelope);
    expect(soap.kind).toBe(request.kind);
    expect(readRequest(soap.kind, soap.message)).toEqual(request);
  });
});

function faultOf(fn: () => unknown): { code: number; detail: string | undefined } {
  try {
    fn();
  } catch (err) {
    if (err instanceof MssFault) return { code: err.code, detail: err.detail };
    throw err;
  }
  throw new Error('expected an MssFault');
}

function readXml(xml: string): MssRequest {
  const soap = readSoapRequest(xml);
  return readRequest(soap.kind, soap.message);
}

describe('the one validation gives the status code of what is wrong', () => {
  const base = soapEnvelope('MSS_Signature', signatureReq());
  const cases: [string, (xml: string) => string, number, RegExp][] = [
    ['AP_Info missing', (x) => x.replace(/<mss:AP_Info[^>]*\/>/, ''), 102, /AP_Info is missing/],
    ['AP_PWD missing', (x) => x.replace(/ AP_PWD="[^"]*"/, ''), 102, /AP_PWD/],
    ['Instant not a dateTime', (x) => x.replace(/Instant="[^"]*"/, 'Instant="yesterday"'), 101, /Instant/],
    ['AP_TransID not an NCName', (x) => x.replace(/AP_TransID="[^"]*"/, 'AP_TransID="1 2"'), 101, /AP_TransID/],
    ['MessagingMode unknown', (x) => x.replace(/MessagingMode="synch"/, 'MessagingMode="carrier-pigeon"'), 101, /MessagingMode/],
    ['MessagingMode missing', (x) => x.replace(/ MessagingMode="synch"/, ''), 102, /MessagingMode/],
    ['MajorVersion 2', (x) => x.replace(/MajorVersion="1"/, 'MajorVersion="2"'), 108, /MajorVersion/],
    ['MSISDN missing', (x) => x.replace(/<mss:MSISDN>[^<]*<\/mss:MSISDN>/, ''), 102, /MSISDN/],
    ['MSISDN letters', (x) => x.replace(/<mss:MSISDN>[^<]*</, '<mss:MSISDN>call-me<'), 101, /MSISDN/],
    ['DataToBeSigned missing', (x) => x.replace(/<mss:DataToBeSigned[^>]*>[^<]*<\/mss:DataToBeSigned>/, ''), 102, /DataToBeSigned/],
    ['DataToBeSigned too long', (x) => x.replace(/Sign the tax return 2026/, 'x'.repeat(70_000)), 103, /DataToBeSigned/],
    ['TimeOut zero', (x) => x.replace(/TimeOut="120"/, 'TimeOut="0"'), 101, /TimeOut/],
    ['DataToBeSigned repeated', (x) => x.replace(/(<mss:DataToBeSigned[^>]*>[^<]*<\/mss:DataToBeSigned>)/, '$1$1'), 101, /repeated/],
    ['unknown encoding', (x) => x.replace(/Encoding="UTF-8"/, 'Encoding="EBCDIC"'), 107, /Encoding/],
  ];
  it.each(cases)('%s', (_name, mutate, code, detail) => {
    const fault = faultOf(() => readXml(mutate(base)));
    expect(fault.code).toBe(code);
    expect(fault.detail).toMatch(detail);
  });
});
