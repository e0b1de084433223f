import { MssFault, isStatusCode } from '../status';
import type { MessageNode } from './node';
import { readRegistrationPayload } from './registration';
import {
  MESSAGING_MODES,
  PROFILE_COMPARISONS,
  type ApInfo,
  type Data,
  type MeshMember,
  type MessageHeader,
  type MobileUser,
  type MsspInfo,
  type MssRequest,
  type MssUri,
  type ReceiptReq,
  type RequestKind,
  type SecureMethods,
  type Status,
} from './types';

/**
 * The one validation of a received message: a missing required part is 102 MISSING_PARAM, a present but
 * wrong one 101 WRONG_PARAM, an unsupported major version 108, DataToBeSigned out of bounds 103. The detail
 * names the element or attribute so an AP developer can fix the request; it never echoes the value.
 */

export interface ReadLimits {
  readonly maxDataToBeSignedChars: number;
  readonly maxDataToBeDisplayedChars: number;
  readonly maxTimeOutSeconds: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxDataToBeSignedChars: 64 * 1024,
  maxDataToBeDisplayedChars: 1024,
  maxTimeOutSeconds: 600,
};

const missing = (what: string): MssFault => new MssFault(102, `${what} is missing`);
const wrong = (what: string): MssFault => new MssFault(101, `${what} is invalid`);

// xs:NCName, restricted to ASCII letters, digits and ._- (what every AP in practice sends), at most 256 chars.
const NCNAME = /^[A-Za-z_][A-Za-z0-9._-]{0,255}$/;
// xs:dateTime with an explicit zone: a timestamp without one cannot be compared with our clock.
const DATE_TIME = /^-?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
// xs:anyURI is nearly anything; we refuse only what cannot be a URI reference at all.
const ANY_URI = /^[^\s<>"{}|\\^`]{1,1024}$/;
const INTEGER = /^[+-]?\d{1,9}$/;
const MSISDN = /^\+?[0-9]{5,15}$/;
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

function only(node: MessageNode, name: string): MessageNode | undefined {
  const found = node.children(name);
  if (found.length > 1) throw wrong(`${node.name}/${name} (repeated)`);
  return found[0];
}

function required(node: MessageNode, name: string): MessageNode {
  const found = only(node, name);
  if (!found) throw missing(`${node.name}/${name}`);
  return found;
}

function leafText(node: MessageNode): string {
  const text = node.text();
  if (text === undefined) throw wrong(node.name);
  return text;
}

function textOf(node: MessageNode, name: string): string | undefined {
  const found = only(node, name);
  return found ? leafText(found).trim() : undefined;
}

function requiredAttribute(node: MessageNode, name: string): string {
  const value = node.attribute(name);
  if (value === undefined) throw missing(`${node.name}@${name}`);
  return value;
}

function parseDateTime(value: string, what: string): Date {
  const trimmed = value.trim();
  if (!DATE_TIME.test(trimmed)) throw wrong(what);
  const date = new Date(trimmed);
  if (Number.isNaN(date.getTime())) throw wrong(what);
  return date;
}

function parseInteger(value: string, what: string): number {
  const trimmed = value.trim();
  if (!INTEGER.test(trimmed)) throw wrong(what);
  return Number(trimmed);
}

function parseUri(value: string, what: string): string {
  const trimmed = value.trim();
  if (!ANY_URI.test(trimmed)) throw wrong(what);
  return trimmed;
}

function parseNcName(value: string, what: string): string {
  const trimmed = value.trim();
  if (!NCNAME.test(trimmed)) throw wrong(what);
  return trimmed;
}

function parseBoolean(value: string, what: string): boolean {
  const trimmed = value.trim();
  if (trimmed === 'true' || trimmed === '1') return true;
  if (trimmed === 'false' || trimmed === '0') return false;
  throw wrong(what);
}

function optionalAttr<T>(node: MessageNode, name: string, parse: (v: string, what: string) => T): T | undefined {
  const value = node.attribute(name);
  return value === undefined ? undefined : parse(value, `${node.name}@${name}`);
}

function readMeshMember(node: MessageNode): MeshMember {
  const dnsName = textOf(node, 'DNSName');
  const ipAddress = textOf(node, 'IPAddress');
  const uriText = textOf(node, 'URI');
  const identifierString = textOf(node, 'IdentifierString');
  return {
    ...(dnsName !== undefined ? { dnsName } : {}),
    ...(ipAddress !== undefined ? { ipAddress } : {}),
    ...(uriText !== undefined ? { uri: parseUri(uriText, `${node.name}/URI`) } : {}),
    ...(identifierString !== undefined ? { identifierString } : {}),
  };
}

function readApInfo(node: MessageNode): ApInfo {
  const apUrl = optionalAttr(node, 'AP_URL', parseUri);
  return {
    apId: parseUri(requiredAttribute(node, 'AP_ID'), 'AP_Info@AP_ID'),
    apTransId: parseNcName(requiredAttribute(node, 'AP_TransID'), 'AP_Info@AP_TransID'),
    apPwd: requiredAttribute(node, 'AP_PWD'),
    instant: parseDateTime(requiredAttribute(node, 'Instant'), 'AP_Info@Instant'),
    ...(apUrl !== undefined ? { apUrl } : {}),
  };
}

function readMsspInfo(node: MessageNode): MsspInfo {
  const instant = optionalAttr(node, 'Instant', parseDateTime);
  return { msspId: readMeshMember(required(node, 'MSSP_ID')), ...(instant ? { instant } : {}) };
}

function readHeader(node: MessageNode): MessageHeader {
  const majorVersion = parseInteger(requiredAttribute(node, 'MajorVersion'), `${node.name}@MajorVersion`);
  const minorVersion = parseInteger(requiredAttribute(node, 'MinorVersion'), `${node.name}@MinorVersion`);
  if (majorVersion !== 1) throw new MssFault(108, `MajorVersion ${majorVersion} is not supported (1 is)`);
  return { majorVersion, minorVersion, apInfo: readApInfo(required(node, 'AP_Info')), msspInfo: readMsspInfo(required(node, 'MSSP_Info')) };
}

function readMobileUser(node: MessageNode): MobileUser {
  const identityIssuer = only(node, 'IdentityIssuer');
  const homeMssp = only(node, 'HomeMSSP');
  const userIdentifier = textOf(node, 'UserIdentifier');
  const msisdn = textOf(node, 'MSISDN');
  if (msisdn !== undefined && !MSISDN.test(msisdn)) throw wrong('MobileUser/MSISDN');
  return {
    ...(identityIssuer ? { identityIssuer: readMeshMember(identityIssuer) } : {}),
    ...(userIdentifier !== undefined ? { userIdentifier } : {}),
    ...(homeMssp ? { homeMssp: readMeshMember(homeMssp) } : {}),
    ...(msisdn !== undefined ? { msisdn } : {}),
  };
}

/** Every operation that concerns a user needs the MSISDN here: we know users by it. */
function readMobileUserWithMsisdn(node: MessageNode): MobileUser {
  const user = readMobileUser(node);
  if (user.msisdn === undefined) throw missing('MobileUser/MSISDN');
  return user;
}

function readData(node: MessageNode, maxChars: number, tooLong: () => MssFault): Data {
  const value = leafText(node);
  if (value.length > maxChars) throw tooLong();
  const mimeType = node.attribute('MimeType');
  const encoding = node.attribute('Encoding');
  if (encoding !== undefined && encoding !== 'UTF-8' && encoding !== 'base64') throw new MssFault(107, `${node.name}@Encoding must be UTF-8 or base64`);
  if (encoding === 'base64' && !BASE64.test(value)) throw wrong(node.name);
  return { value, ...(mimeType !== undefined ? { mimeType } : {}), ...(encoding !== undefined ? { encoding } : {}) };
}

function readMssUri(node: MessageNode): MssUri {
  const mssUri = parseUri(leafText(required(node, 'mssURI')), `${node.name}/mssURI`);
  const digest = only(node, 'DigestAlgAndValue');
  if (!digest) return { mssUri };
  const method = only(digest, 'DigestMethod');
  const digestMethod = method ? parseUri(requiredAttribute(method, 'Algorithm'), 'DigestMethod@Algorithm') : undefined;
  const digestValue = leafText(required(digest, 'DigestValue')).trim();
  if (!BASE64.test(digestValue)) throw wrong('DigestAlgAndValue/DigestValue');
  return { mssUri, digestAlgAndValue: { digestValue, ...(digestMethod ? { digestMethod } : {}) } };
}

function readStatus(node: MessageNode): Status {
  const code = parseInteger(requiredAttribute(required(node, 'StatusCode'), 'Value'), 'StatusCode@Value');
  if (!isStatusCode(code)) throw wrong('StatusCode@Value');
  const message = textOf(node, 'StatusMessage');
  return { code, ...(message !== undefined ? { message } : {}) };
}

function readMsspTransId(node: MessageNode): string {
  return parseNcName(requiredAttribute(node, 'MSSP_TransID'), `${node.name}@MSSP_TransID`);
}

function oneOf<T extends string>(values: readonly T[], value: string, what: string): T {
  const found = values.find((v) => v === value.trim());
  if (found === undefined) throw wrong(what);
  return found;
}

function readSecureMethods(node: MessageNode): SecureMethods {
  const flag = (name: keyof SecureMethods): boolean => parseBoolean(requiredAttribute(node, name), `SecureMethods@${name}`);
  return {
    MSS_Signature: flag('MSS_Signature'),
    MSS_Registration: flag('MSS_Registration'),
    MSS_Notification: flag('MSS_Notification'),
    MSS_ProfileQuery: flag('MSS_ProfileQuery'),
    MSS_Receipt: flag('MSS_Receipt'),
    MSS_Status: flag('MSS_Status'),
  };
}

function texts(node: MessageNode, name: string): string[] {
  return node.children(name).map((c) => leafText(c).trim());
}

/** Reads MSS_ReceiptReq on its own: the AP's answer to our MSS_Notification is one. */
export function readReceiptReq(node: MessageNode): ReceiptReq {
  const status = only(node, 'Status');
  const message = only(node, 'Message');
  return {
    kind: 'MSS_ReceiptReq',
    ...readHeader(node),
    msspTransId: readMsspTransId(node),
    mobileUser: readMobileUserWithMsisdn(required(node, 'MobileUser')),
    ...(status ? { status: readStatus(status) } : {}),
    ...(message ? { message: readData(message, DEFAULT_READ_LIMITS.maxDataToBeDisplayedChars, () => new MssFault(103, 'Message is too long')) } : {}),
  };
}

/** Validates a request whose root element is `kind`; throws MssFault (101, 102, 103, 107, 108) otherwise. */
export function readRequest(kind: RequestKind, node: MessageNode, limits: ReadLimits = DEFAULT_READ_LIMITS): MssRequest {
  switch (kind) {
    case 'MSS_SignatureReq': {
      const header = readHeader(node);
      const dtbs = readData(required(node, 'DataToBeSigned'), limits.maxDataToBeSignedChars, () => new MssFault(103, 'DataToBeSigned is too long'));
      if (dtbs.value.length === 0) throw new MssFault(103, 'DataToBeSigned is empty');
      const dtbdNode = only(node, 'DataToBeDisplayed');
      const profile = only(node, 'SignatureProfile');
      const format = only(node, 'MSS_Format');
      const services = only(node, 'AdditionalServices');
      const comparison = textOf(node, 'SignatureProfileComparison');
      const validityDate = optionalAttr(node, 'ValidityDate', parseDateTime);
      const timeOut = optionalAttr(node, 'TimeOut', parseInteger);
      if (timeOut !== undefined && (timeOut < 1 || timeOut > limits.maxTimeOutSeconds)) throw wrong('MSS_SignatureReq@TimeOut');
      const mode = node.attribute('MessagingMode');
      if (mode === undefined) throw missing('MSS_SignatureReq@MessagingMode');
      return {
        kind,
        ...header,
        mobileUser: readMobileUserWithMsisdn(required(node, 'MobileUser')),
        dataToBeSigned: dtbs,
        ...(dtbdNode
          ? { dataToBeDisplayed: readData(dtbdNode, limits.maxDataToBeDisplayedChars, () => new MssFault(103, 'DataToBeDisplayed is too long')) }
          : {}),
        ...(profile ? { signatureProfile: readMssUri(profile) } : {}),
        additionalServices: services
          ? (() => {
              const list = services.children('Service');
              if (list.length === 0) throw missing('AdditionalServices/Service');
              return list.map((s) => readMssUri(required(s, 'Description')));
            })()
          : [],
        ...(format ? { mssFormat: readMssUri(format) } : {}),
        ...(comparison !== undefined ? { signatureProfileComparison: oneOf(PROFILE_COMPARISONS, comparison, 'SignatureProfileComparison') } : {}),
        ...(validityDate ? { validityDate } : {}),
        ...(timeOut !== undefined ? { timeOut } : {}),
        messagingMode: oneOf(MESSAGING_MODES, mode, 'MSS_SignatureReq@MessagingMode'),
      };
    }
    case 'MSS_StatusReq':
      return { kind, ...readHeader(node), msspTransId: readMsspTransId(node) };
    case 'MSS_ReceiptReq':
      return readReceiptReq(node);
    case 'MSS_ProfileReq':
      return { kind, ...readHeader(node), mobileUser: readMobileUserWithMsisdn(required(node, 'MobileUser')) };
    case 'MSS_RegistrationReq': {
      const certificateUri = textOf(node, 'CertificateURI');
      const certificate = textOf(node, 'X509Certificate');
      if (certificate !== undefined && !BASE64.test(certificate)) throw wrong('X509Certificate');
      const header = readHeader(node);
      const mobileUser = readMobileUserWithMsisdn(required(node, 'MobileUser'));
      const registration = readRegistrationPayload(node);
      return {
        kind,
        ...header,
        mobileUser,
        ...(certificateUri !== undefined ? { certificateUri: parseUri(certificateUri, 'CertificateURI') } : {}),
        ...(certificate !== undefined ? { x509Certificate: certificate.replace(/\s+/g, '') } : {}),
        ...(registration !== undefined ? { registration } : {}),
      };
    }
    case 'MSS_HandshakeReq':
      return {
        kind,
        ...readHeader(node),
        secureMethods: readSecureMethods(required(node, 'SecureMethods')),
        certificates: texts(required(node, 'Certificates'), 'Certificate'),
        rootCaDns: texts(required(node, 'RootCAs'), 'DN'),
        signatureAlgorithms: required(node, 'SignatureAlgList')
          .children('Algorithm')
          .map((a) => readMssUri(a)),
      };
  }
}
