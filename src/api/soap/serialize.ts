import type {
  Data,
  MeshMember,
  MessageHeader,
  MobileUser,
  MssMessage,
  MssSignature,
  MssUri,
  RegistrationPayload,
  SecureMethods,
  Status,
} from '../../mss/messages/types';
import { MSS_NS, SOAP12_ENVELOPE_NS } from '../errors/soap-fault';
import { REGISTRATION_NS } from '../../mss/messages/registration';

/**
 * TS 102 204 messages to XML, children in the schema's order (xmllint checks every one in the tests).
 * Elements carry the `mss:` prefix; the message element declares it so it can be cut out and stand alone.
 */

type Attrs = Record<string, string | number | boolean | undefined>;

function escapeText(text: string): string {
  return text.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'));
}

function escapeAttr(text: string): string {
  return text.replace(/[<>&"\r\n\t]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' })[c] ?? c);
}

function el(name: string, attrs: Attrs, ...content: (string | undefined)[]): string {
  const attrText = Object.entries(attrs)
    .filter((e): e is [string, string | number | boolean] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
    .join('');
  const inner = content.filter((c): c is string => c !== undefined).join('');
  return inner === '' ? `<mss:${name}${attrText}/>` : `<mss:${name}${attrText}>${inner}</mss:${name}>`;
}

const leaf = (name: string, value: string | undefined): string | undefined => (value === undefined ? undefined : el(name, {}, escapeText(value)));

function meshMember(name: string, m: MeshMember | undefined): string | undefined {
  if (!m) return undefined;
  return el(name, {}, leaf('DNSName', m.dnsName), leaf('IPAddress', m.ipAddress), leaf('URI', m.uri), leaf('IdentifierString', m.identifierString));
}

function mobileUser(u: MobileUser): string {
  return el(
    'MobileUser',
    {},
    meshMember('IdentityIssuer', u.identityIssuer),
    leaf('UserIdentifier', u.userIdentifier),
    meshMember('HomeMSSP', u.homeMssp),
    leaf('MSISDN', u.msisdn),
  );
}

function data(name: string, d: Data | undefined): string | undefined {
  return d ? el(name, { MimeType: d.mimeType, Encoding: d.encoding }, escapeText(d.value)) : undefined;
}

function mssUri(name: string, u: MssUri | undefined): string | undefined {
  if (!u) return undefined;
  const digest = u.digestAlgAndValue
    ? el(
        'DigestAlgAndValue',
        {},
        u.digestAlgAndValue.digestMethod !== undefined
          ? el('DigestMethod', { Algorithm: u.digestAlgAndValue.digestMethod })
          : undefined,
        leaf('DigestValue', u.digestAlgAndValue.digestValue),
      )
    : undefined;
  return el(name, {}, leaf('mssURI', u.mssUri), digest);
}

function status(s: Status): string {
  return el('Status', {}, el('StatusCode', { Value: s.code }), leaf('StatusMessage', s.message));
}

function signature(s: MssSignature | undefined): string | undefined {
  return s ? el('MSS_Signature', {}, leaf('Base64Signature', s.base64Signature)) : undefined;
}

function secureMethods(m: SecureMethods): string {
  return el('SecureMethods', { ...m });
}

function list(name: string, item: string, values: readonly string[]): string {
  return el(name, {}, ...values.map((v) => leaf(item, v)));
}

/** `<reg:Registration>` in MSS_RegistrationReq's xs:any slot (src/mss/messages/REGISTRATION.md). */
function registration(p: RegistrationPayload | undefined): string | undefined {
  if (!p) return undefined;
  const reg = (name: string, value: string | undefined): string => (value === undefined ? '' : `<reg:${name}>${escapeText(value)}</reg:${name}>`);
  const inner =
    p.action === 'activate'
      ? reg('MobileId', p.mobileId)
      : reg('GivenName', p.givenName) +
        reg('FamilyName', p.familyName) +
        reg('NationalId', p.nationalId) +
        reg('BirthDate', p.birthDate) +
        reg('Label', p.label) +
        reg('AuthenticationRequest', p.authenticationRequest) +
        reg('SignatureRequest', p.signatureRequest);
  return `<reg:Registration xmlns:reg="${REGISTRATION_NS}" Action="${p.action}">${inner}</reg:Registration>`;
}

const iso = (d: Date | undefined): string | undefined => d?.toISOString();

/** The attributes and leading children every message has (MessageAbstractType). */
function header(h: MessageHeader, extra: Attrs): { attrs: Attrs; head: string } {
  const apInfo = el('AP_Info', {
    AP_ID: h.apInfo.apId,
    AP_TransID: h.apInfo.apTransId,
    AP_PWD: h.apInfo.apPwd,
    Instant: iso(h.apInfo.instant),
    AP_URL: h.apInfo.apUrl,
  });
  const msspInfo = el('MSSP_Info', { Instant: iso(h.msspInfo.instant) }, meshMember('MSSP_ID', h.msspInfo.msspId) ?? el('MSSP_ID', {}));
  return { attrs: { MajorVersion: h.majorVersion, MinorVersion: h.minorVersion, ...extra }, head: apInfo + msspInfo };
}

function body(m: MssMessage): { attrs: Attrs; content: (string | undefined)[] } {
  switch (m.kind) {
    case 'MSS_SignatureReq': {
      const services = m.additionalServices.length
        ? el('AdditionalServices', {}, ...m.additionalServices.map((s) => el('Service', {}, mssUri('Description', s))))
        : undefined;
      return {
        attrs: { ValidityDate: iso(m.validityDate), TimeOut: m.timeOut, MessagingMode: m.messagingMode },
        content: [
          mobileUser(m.mobileUser),
          data('DataToBeSigned', m.dataToBeSigned),
          data('DataToBeDisplayed', m.dataToBeDisplayed),
          mssUri('SignatureProfile', m.signatureProfile),
          services,
          mssUri('MSS_Format', m.mssFormat),
          leaf('SignatureProfileComparison', m.signatureProfileComparison),
        ],
      };
    }
    case 'MSS_SignatureResp':
      return {
        attrs: { MSSP_TransID: m.msspTransId },
        content: [mobileUser(m.mobileUser), signature(m.signature), mssUri('SignatureProfile', m.signatureProfile), status(m.status)],
      };
    case 'MSS_StatusReq':
      return { attrs: { MSSP_TransID: m.msspTransId }, content: [] };
    case 'MSS_StatusResp':
      return { attrs: {}, content: [mobileUser(m.mobileUser), signature(m.signature), status(m.status)] };
    case 'MSS_ReceiptReq':
      return {
        attrs: { MSSP_TransID: m.msspTransId },
        content: [mobileUser(m.mobileUser), m.status ? status(m.status) : undefined, data('Message', m.message)],
      };
    case 'MSS_ReceiptResp':
      return { attrs: {}, content: [status(m.status)] };
    case 'MSS_ProfileReq':
      return { attrs: {}, content: [mobileUser(m.mobileUser)] };
    case 'MSS_ProfileResp':
      return { attrs: {}, content: [...m.signatureProfiles.map((p) => mssUri('SignatureProfile', p)), status(m.status)] };
    case 'MSS_RegistrationReq':
      return {
        attrs: {},
        content: [mobileUser(m.mobileUser), leaf('CertificateURI', m.certificateUri), leaf('X509Certificate', m.x509Certificate), registration(m.registration)],
      };
    case 'MSS_RegistrationResp':
      return {
        attrs: {},
        content: [status(m.status), leaf('CertificateURI', m.certificateUri), leaf('X509Certificate', m.x509Certificate), leaf('PublicKey', m.publicKey)],
      };
    case 'MSS_HandshakeReq':
      return {
        attrs: {},
        content: [
          secureMethods(m.secureMethods),
          list('Certificates', 'Certificate', m.certificates),
          list('RootCAs', 'DN', m.rootCaDns),
          el('SignatureAlgList', {}, ...m.signatureAlgorithms.map((a) => mssUri('Algorithm', a))),
        ],
      };
    case 'MSS_HandshakeResp':
      return {
        attrs: { MSSP_TransID: m.msspTransId },
        content: [
          secureMethods(m.secureMethods),
          list('MatchingMSSPCertificates', 'Certificate', m.matchingMsspCertificates),
          list('MatchingAPCertificates', 'Certificate', m.matchingApCertificates),
          el('MatchingSigAlgList', {}, ...m.matchingSignatureAlgorithms.map((a) => mssUri('Algorithm', a))),
        ],
      };
  }
}

/** One message element, namespace declared on it. */
export function messageXml(m: MssMessage): string {
  const { attrs, content } = body(m);
  const h = header(m, attrs);
  const xml = el(m.kind, h.attrs, h.head, ...content);
  return xml.replace(`<mss:${m.kind}`, `<mss:${m.kind} xmlns:mss="${MSS_NS}"`);
}

/**
 * A SOAP 1.2 envelope in the Kiuru WSDL's rpc/literal layout: the operation's wrapper element (name + "Response"
 * for answers, the operation name for requests), unqualified as the WSDL gives its bodies no namespace, holding
 * the message element.
 */
export function soapEnvelope(wrapper: string, m: MssMessage): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<env:Envelope xmlns:env="${SOAP12_ENVELOPE_NS}"><env:Body>` +
    `<${wrapper} xmlns="">${messageXml(m)}</${wrapper}>` +
    `</env:Body></env:Envelope>`
  );
}
