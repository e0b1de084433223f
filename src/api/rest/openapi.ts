import { STATUS_CODES } from '../../mss/status';
import { OPERATION_OF_REQUEST, REQUEST_KINDS } from '../../mss/messages/types';

/**
 * OpenAPI 3.1 description of the REST/JSON binding, built from the same tables the code uses (operations,
 * status codes), so the document cannot drift from what the server accepts.
 */
const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const str = { type: 'string' } as const;
const strOrNum = { type: ['string', 'integer'] } as const;

const RESPONSE_OF: Record<(typeof REQUEST_KINDS)[number], string> = {
  MSS_SignatureReq: 'MSS_SignatureResp',
  MSS_StatusReq: 'MSS_StatusResp',
  MSS_ReceiptReq: 'MSS_ReceiptResp',
  MSS_ProfileReq: 'MSS_ProfileResp',
  MSS_RegistrationReq: 'MSS_RegistrationResp',
  MSS_HandshakeReq: 'MSS_HandshakeResp',
};

const header = {
  MajorVersion: { ...strOrNum, description: 'Must be 1.' },
  MinorVersion: strOrNum,
  AP_Info: ref('AP_Info'),
  MSSP_Info: ref('MSSP_Info'),
};
const headerRequired = ['MajorVersion', 'MinorVersion', 'AP_Info', 'MSSP_Info'];
const message = (properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> => ({
  type: 'object',
  properties: { ...header, ...properties },
  required: [...headerRequired, ...required],
});

const SCHEMAS: Record<string, unknown> = {
  AP_Info: {
    type: 'object',
    properties: { AP_ID: { type: 'string', format: 'uri' }, AP_TransID: str, AP_PWD: str, Instant: { type: 'string', format: 'date-time' }, AP_URL: { type: 'string', format: 'uri' } },
    required: ['AP_ID', 'AP_TransID', 'AP_PWD', 'Instant'],
  },
  MeshMember: { type: 'object', properties: { DNSName: str, IPAddress: str, URI: str, IdentifierString: str } },
  MSSP_Info: { type: 'object', properties: { MSSP_ID: ref('MeshMember'), Instant: { type: 'string', format: 'date-time' } }, required: ['MSSP_ID'] },
  MobileUser: { type: 'object', properties: { MSISDN: { type: 'string', pattern: '^\\+?[0-9]{5,15}$' }, UserIdentifier: str }, required: ['MSISDN'] },
  Data: {
    oneOf: [str, { type: 'object', properties: { value: str, MimeType: str, Encoding: { enum: ['UTF-8', 'base64'] } }, required: ['value'] }],
  },
  MssURI: { type: 'object', properties: { mssURI: { type: 'string', format: 'uri' } }, required: ['mssURI'] },
  Status: {
    type: 'object',
    properties: { StatusCode: { type: 'object', properties: { Value: { enum: Object.keys(STATUS_CODES) } } }, StatusMessage: str },
    required: ['StatusCode'],
  },
  MSS_Signature: { type: 'object', properties: { Base64Signature: { type: 'string', contentEncoding: 'base64' } } },
  MSS_SignatureReq: message(
    {
      MessagingMode: { enum: ['synch', 'asynchClientServer', 'asynchServerServer'] },
      TimeOut: { ...strOrNum, description: 'Seconds.' },
      MobileUser: ref('MobileUser'),
      DataToBeSigned: ref('Data'),
      DataToBeDisplayed: ref('Data'),
      SignatureProfile: ref('MssURI'),
      MSS_Format: ref('MssURI'),
      AdditionalServices: { type: 'object', properties: { Service: { type: 'array', items: { type: 'object', properties: { Description: ref('MssURI') } } } } },
      SignatureProfileComparison: { enum: ['exact', 'minimum', 'better'] },
    },
    ['MessagingMode', 'MobileUser', 'DataToBeSigned'],
  ),
  MSS_SignatureResp: message({ MSSP_TransID: str, MobileUser: ref('MobileUser'), MSS_Signature: ref('MSS_Signature'), SignatureProfile: ref('MssURI'), Status: ref('Status') }),
  MSS_StatusReq: message({ MSSP_TransID: str }, ['MSSP_TransID']),
  MSS_StatusResp: message({ MobileUser: ref('MobileUser'), MSS_Signature: ref('MSS_Signature'), Status: ref('Status') }),
  MSS_ReceiptReq: message({ MSSP_TransID: str, MobileUser: ref('MobileUser'), Status: ref('Status'), Message: ref('Data') }, ['MSSP_TransID', 'MobileUser']),
  MSS_ReceiptResp: message({ Status: ref('Status') }),
  MSS_ProfileReq: message({ MobileUser: ref('MobileUser') }, ['MobileUser']),
  MSS_ProfileResp: message({ SignatureProfile: { type: 'array', items: ref('MssURI') }, Status: ref('Status') }),
  MSS_RegistrationReq: message(
    {
      MobileUser: ref('MobileUser'),
      CertificateURI: str,
      X509Certificate: str,
      // <reg:Registration> of urn:mssp-platform:registration:1 (src/mss/messages/REGISTRATION.md), without a namespace.
      Registration: {
        type: 'object',
        description: 'register: the identity the AP checked and the SIM keys\' PKCS#10 requests (base64 DER); activate: makes that registration usable',
        properties: {
          Action: { enum: ['register', 'activate'] },
          GivenName: str,
          FamilyName: str,
          NationalId: str,
          BirthDate: { type: 'string', format: 'date' },
          Label: str,
          AuthenticationRequest: { type: 'string', contentEncoding: 'base64' },
          SignatureRequest: { type: 'string', contentEncoding: 'base64' },
          MobileId: str,
        },
        required: ['Action'],
      },
    },
    ['MobileUser'],
  ),
  MSS_RegistrationResp: message({ Status: ref('Status'), CertificateURI: str, X509Certificate: { type: 'string', contentEncoding: 'base64' }, PublicKey: str }),
  MSS_HandshakeReq: message({ SecureMethods: { type: 'object' }, Certificates: { type: 'object' }, RootCAs: { type: 'object' }, SignatureAlgList: { type: 'object' } }, [
    'SecureMethods',
    'Certificates',
    'RootCAs',
    'SignatureAlgList',
  ]),
  MSS_HandshakeResp: message({ MSSP_TransID: str, SecureMethods: { type: 'object' } }),
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem; statusCode/statusName are the TS 102 204 status, as the SOAP binding would give in mss:_NNN.',
    properties: { type: str, title: str, status: { type: 'integer' }, detail: str, statusCode: { type: 'integer' }, statusName: str },
    required: ['type', 'title', 'status', 'statusCode', 'statusName'],
  },
};

export function openApiDocument(serverUrl: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const kind of REQUEST_KINDS) {
    const operation = OPERATION_OF_REQUEST[kind];
    const wrap = (name: string): Record<string, unknown> => ({ type: 'object', properties: { [name]: ref(name) }, required: [name] });
    paths[`/${operation}`] = {
      post: {
        operationId: operation,
        summary: `${operation} (ETSI TS 102 204), JSON binding`,
        requestBody: { required: true, content: { 'application/json': { schema: wrap(kind) } } },
        responses: {
          '200': { description: 'Answered.', content: { 'application/json': { schema: wrap(RESPONSE_OF[kind]) } } },
          '202': { description: 'REQUEST_OK (asynchronous) or OUTSTANDING_TRANSACTION.', content: { 'application/json': { schema: wrap(RESPONSE_OF[kind]) } } },
          default: { description: 'A TS 102 204 fault.', content: { 'application/problem+json': { schema: ref('Problem') } } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'MSSP: ETSI TS 102 204 mobile signature service, REST/JSON binding', version: '1.1.2' },
    servers: [{ url: serverUrl }],
    paths,
    components: { schemas: SCHEMAS },
  };
}
