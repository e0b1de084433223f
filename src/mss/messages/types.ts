import type { StatusCode } from '../status';

/**
 * The TS 102 204 v1.1.2 messages as typed values, independent of the binding (SOAP/XML or REST/JSON).
 * Names follow the schema so a reader can hold the two side by side.
 */

export const MESSAGING_MODES = ['synch', 'asynchClientServer', 'asynchServerServer'] as const;
export type MessagingMode = (typeof MESSAGING_MODES)[number];

export const PROFILE_COMPARISONS = ['exact', 'minimum', 'better'] as const;
export type SignatureProfileComparison = (typeof PROFILE_COMPARISONS)[number];

export interface MeshMember {
  readonly dnsName?: string;
  readonly ipAddress?: string;
  readonly uri?: string;
  readonly identifierString?: string;
}

export interface ApInfo {
  readonly apId: string;
  readonly apTransId: string;
  readonly apPwd: string;
  readonly instant: Date;
  readonly apUrl?: string;
}

export interface MsspInfo {
  readonly msspId: MeshMember;
  readonly instant?: Date;
}

/** MessageAbstractType: what every message carries. */
export interface MessageHeader {
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly apInfo: ApInfo;
  readonly msspInfo: MsspInfo;
}

export interface MobileUser {
  readonly identityIssuer?: MeshMember;
  readonly userIdentifier?: string;
  readonly homeMssp?: MeshMember;
  readonly msisdn?: string;
}

export interface Data {
  readonly value: string;
  readonly mimeType?: string;
  readonly encoding?: string;
}

export interface DigestAlgAndValue {
  readonly digestMethod?: string;
  /** base64 */
  readonly digestValue: string;
}

export interface MssUri {
  readonly mssUri: string;
  readonly digestAlgAndValue?: DigestAlgAndValue;
}

export interface Status {
  readonly code: StatusCode;
  readonly message?: string;
}

/** SignatureType: we produce and accept only the Base64Signature choice (CMS or PKCS#1 bytes). */
export interface MssSignature {
  readonly base64Signature: string;
}

export interface SecureMethods {
  readonly MSS_Signature: boolean;
  readonly MSS_Registration: boolean;
  readonly MSS_Notification: boolean;
  readonly MSS_ProfileQuery: boolean;
  readonly MSS_Receipt: boolean;
  readonly MSS_Status: boolean;
}

export interface SignatureReq extends MessageHeader {
  readonly kind: 'MSS_SignatureReq';
  readonly mobileUser: MobileUser;
  readonly dataToBeSigned: Data;
  readonly dataToBeDisplayed?: Data;
  readonly signatureProfile?: MssUri;
  readonly additionalServices: readonly MssUri[];
  readonly mssFormat?: MssUri;
  readonly signatureProfileComparison?: SignatureProfileComparison;
  readonly validityDate?: Date;
  /** Seconds. */
  readonly timeOut?: number;
  readonly messagingMode: MessagingMode;
}

export interface SignatureResp extends MessageHeader {
  readonly kind: 'MSS_SignatureResp';
  readonly msspTransId: string;
  readonly mobileUser: MobileUser;
  readonly signature?: MssSignature;
  readonly signatureProfile?: MssUri;
  readonly status: Status;
}

export interface StatusReq extends MessageHeader {
  readonly kind: 'MSS_StatusReq';
  readonly msspTransId: string;
}

/** Also the body of MSS_Notification (the platform calling the AP in asynchServerServer mode). */
export interface StatusResp extends MessageHeader {
  readonly kind: 'MSS_StatusResp';
  readonly mobileUser: MobileUser;
  readonly signature?: MssSignature;
  readonly status: Status;
}

/** Sent by the AP (MSS_Receipt) and, as the answer to MSS_Notification, by the AP to us. */
export interface ReceiptReq extends MessageHeader {
  readonly kind: 'MSS_ReceiptReq';
  readonly msspTransId: string;
  readonly mobileUser: MobileUser;
  readonly status?: Status;
  readonly message?: Data;
}

export interface ReceiptResp extends MessageHeader {
  readonly kind: 'MSS_ReceiptResp';
  readonly status: Status;
}

export interface ProfileReq extends MessageHeader {
  readonly kind: 'MSS_ProfileReq';
  readonly mobileUser: MobileUser;
}

export interface ProfileResp extends MessageHeader {
  readonly kind: 'MSS_ProfileResp';
  readonly signatureProfiles: readonly MssUri[];
  readonly status: Status;
}

/**
 * Our content of MSS_RegistrationReq's open slot (xs:any ##other): `<reg:Registration>` in REGISTRATION_NS,
 * described in src/mss/messages/REGISTRATION.md. `register` carries the identity the AP checked and two PKCS#10
 * requests made in the SIM; `activate` makes a registration of that AP usable.
 */
export type RegistrationPayload =
  | {
      readonly action: 'register';
      readonly givenName: string;
      readonly familyName: string;
      readonly nationalId: string;
      /** YYYY-MM-DD */
      readonly birthDate: string;
      readonly label?: string;
      /** base64 DER PKCS#10 of the SIM's authentication key. */
      readonly authenticationRequest: string;
      /** base64 DER PKCS#10 of the SIM's signature (non-repudiation) key. */
      readonly signatureRequest: string;
    }
  | { readonly action: 'activate'; readonly mobileId?: string };

export interface RegistrationReq extends MessageHeader {
  readonly kind: 'MSS_RegistrationReq';
  readonly mobileUser: MobileUser;
  readonly certificateUri?: string;
  /** base64 DER */
  readonly x509Certificate?: string;
  readonly registration?: RegistrationPayload;
}

export interface RegistrationResp extends MessageHeader {
  readonly kind: 'MSS_RegistrationResp';
  readonly status: Status;
  readonly certificateUri?: string;
  readonly x509Certificate?: string;
  readonly publicKey?: string;
}

export interface HandshakeReq extends MessageHeader {
  readonly kind: 'MSS_HandshakeReq';
  readonly secureMethods: SecureMethods;
  readonly certificates: readonly string[];
  readonly rootCaDns: readonly string[];
  readonly signatureAlgorithms: readonly MssUri[];
}

export interface HandshakeResp extends MessageHeader {
  readonly kind: 'MSS_HandshakeResp';
  readonly msspTransId: string;
  readonly secureMethods: SecureMethods;
  readonly matchingMsspCertificates: readonly string[];
  readonly matchingApCertificates: readonly string[];
  readonly matchingSignatureAlgorithms: readonly MssUri[];
}

export type MssRequest = SignatureReq | StatusReq | ReceiptReq | ProfileReq | RegistrationReq | HandshakeReq;
export type MssResponse = SignatureResp | StatusResp | ReceiptResp | ProfileResp | RegistrationResp | HandshakeResp;
export type MssMessage = MssRequest | MssResponse;
export type RequestKind = MssRequest['kind'];

export const REQUEST_KINDS = ['MSS_SignatureReq', 'MSS_StatusReq', 'MSS_ReceiptReq', 'MSS_ProfileReq', 'MSS_RegistrationReq', 'MSS_HandshakeReq'] as const satisfies readonly RequestKind[];

/** The operation (WSDL name) that carries each request. */
export const OPERATION_OF_REQUEST = {
  MSS_SignatureReq: 'MSS_Signature',
  MSS_StatusReq: 'MSS_StatusQuery',
  MSS_ReceiptReq: 'MSS_Receipt',
  MSS_ProfileReq: 'MSS_ProfileQuery',
  MSS_RegistrationReq: 'MSS_Registration',
  MSS_HandshakeReq: 'MSS_Handshake',
} as const satisfies Record<RequestKind, string>;
export type OperationName = (typeof OPERATION_OF_REQUEST)[RequestKind];
