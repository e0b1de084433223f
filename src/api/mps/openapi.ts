import { MPS_ERRORS } from '../../mps';
import type { MpsOperation } from './http';

/**
 * OpenAPI 3.1 description of the MPS API. Paths come from the same operation table the router uses (their roles
 * become the security note), problem codes from MPS_ERRORS, so the document cannot name what the server lacks.
 */
const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const str = { type: 'string' } as const;
const amount = { type: 'string', pattern: '^[1-9][0-9]{0,18}$', description: 'Integer in minor units of the currency, as a decimal string (never a JSON number).' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const OFFER_STATES = ['created', 'sent', 'approved', 'paid', 'refused', 'cancelled', 'expired', 'failed'];

const terms = {
  amount,
  currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code.' },
  reference: { type: 'string', minLength: 1, maxLength: 128 },
  expiresAt: dateTime,
  expiresInSeconds: { type: 'integer', minimum: 1 },
};

const SCHEMAS: Record<string, unknown> = {
  OfferRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { payerMsisdn: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' }, ...terms },
    required: ['payerMsisdn', 'amount', 'currency', 'reference'],
  },
  TicketIssueRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { clientMsisdn: str, accountId: str, ttlSeconds: { type: 'integer', minimum: 1 } },
    required: ['clientMsisdn', 'accountId'],
  },
  Ticket: {
    type: 'object',
    properties: { code: { type: 'string', pattern: '^[0-9]{8}$' }, qr: str, expiresAt: { type: 'string', format: 'date-time' } },
    required: ['code', 'qr', 'expiresAt'],
  },
  TicketRedeemRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { ticket: { type: 'string', description: 'The 8-digit code or the QR payload.' }, merchant: str, ...terms },
    required: ['ticket', 'merchant', 'amount', 'currency', 'reference'],
  },
  RefundRequest: { type: 'object', additionalProperties: false, properties: { amount }, required: ['amount'] },
  Offer: {
    type: 'object',
    properties: {
      id: str,
      state: { enum: OFFER_STATES },
      merchant: str,
      payerMsisdn: str,
      amount,
      currency: str,
      reference: str,
      verificationCode: { type: 'string', pattern: '^[0-9]{4}$', description: 'Shown on the phone too, so the payer can check it is this offer.' },
      expiresAt: dateTime,
      transferId: { type: ['string', 'null'] },
      code: { type: ['string', 'null'], description: 'Why the offer ended without payment (an MPS error code).' },
      detail: { type: ['string', 'null'] },
      history: { type: 'array', items: { type: 'object', properties: { state: { enum: OFFER_STATES }, at: dateTime }, required: ['state', 'at'] } },
    },
    required: ['id', 'state', 'merchant', 'payerMsisdn', 'amount', 'currency', 'reference', 'verificationCode', 'expiresAt', 'transferId', 'code', 'history'],
  },
  Transfer: {
    type: 'object',
    properties: { id: str, kind: str, state: str, amount, currency: str, debitAccountId: str, creditAccountId: str, linkedTransferId: { type: ['string', 'null'] } },
    required: ['id', 'kind', 'state', 'amount', 'currency'],
  },
  WindowState: { type: 'object', properties: { state: { enum: ['open', 'closed', 'settled'] }, at: dateTime }, required: ['state', 'at'] },
  Window: {
    type: 'object',
    properties: {
      id: { type: 'string', pattern: '^[1-9][0-9]*$' },
      state: { enum: ['open', 'closed', 'settled'] },
      openedAt: dateTime,
      states: { type: 'array', items: ref('WindowState') },
      positions: { type: 'array', items: { type: 'object', properties: { bankId: str, currency: str, net: { type: 'string', pattern: '^-?[0-9]+$' } }, required: ['bankId', 'currency', 'net'] } },
    },
    required: ['id', 'state', 'openedAt', 'states'],
  },
  WindowList: { type: 'object', properties: { windows: { type: 'array', items: ref('Window') } }, required: ['windows'] },
  WindowClosed: { type: 'object', properties: { closed: str, opened: str }, required: ['closed', 'opened'] },
  WebhookEvent: {
    type: 'object',
    description: 'POSTed to the merchant when an offer ends, with X-MSSP-Signature: t=<unix>,alg=ES256,keyid=<id>,sig=<base64 DER> over "<t>.<body>" (key at /callback-key.pem).',
    properties: { type: { enum: ['offer.paid', 'offer.refused', 'offer.cancelled', 'offer.expired', 'offer.failed'] }, offer: ref('Offer') },
    required: ['type', 'offer'],
  },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details; code is what a client switches on.',
    properties: { type: str, title: str, status: { type: 'integer' }, code: { enum: Object.keys(MPS_ERRORS) }, detail: str },
    required: ['type', 'title', 'status', 'code'],
  },
};

const BODIES: Record<string, { request?: string; status: string; response: string; content?: string }> = {
  createOffer: { request: 'OfferRequest', status: '201', response: 'Offer' },
  getOffer: { status: '200', response: 'Offer' },
  cancelOffer: { status: '200', response: 'Offer' },
  refundOffer: { request: 'RefundRequest', status: '201', response: 'Transfer' },
  issueTicket: { request: 'TicketIssueRequest', status: '201', response: 'Ticket' },
  redeemTicket: { request: 'TicketRedeemRequest', status: '201', response: 'Offer' },
  listSettlementWindows: { status: '200', response: 'WindowList' },
  closeSettlementWindow: { status: '200', response: 'WindowClosed' },
  getSettlementWindow: { status: '200', response: 'Window' },
};

/** The regex of an operation as an OpenAPI path template. */
const PATHS: Record<string, string> = {
  createOffer: '/offers',
  getOffer: '/offers/{offerId}',
  cancelOffer: '/offers/{offerId}/cancel',
  refundOffer: '/offers/{offerId}/refunds',
  issueTicket: '/tickets',
  redeemTicket: '/tickets/redeem',
  listSettlementWindows: '/settlement/windows',
  closeSettlementWindow: '/settlement/windows/close',
  getSettlementWindow: '/settlement/windows/{windowId}',
};

const problem = { description: 'Refused: RFC 9457 problem details.', content: { 'application/problem+json': { schema: ref('Problem') } } };

export function mpsOpenApiDocument(serverUrl: string, operations: readonly MpsOperation[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (path: string, method: string, op: Record<string, unknown>): void => {
    paths[path] = { ...(paths[path] ?? {}), [method]: op };
  };
  for (const op of operations) {
    const roles = `Roles: ${op.roles.join(', ')}.`;
    const pathParams = [...(PATHS[op.id] ?? '').matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: str }));
    const idempotency = op.method === 'POST' ? [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 } }] : [];
    const parameters = [...pathParams, ...idempotency];
    if (op.id === 'getSettlementReport') {
      for (const [suffix, type] of [
        ['json', 'application/json'],
        ['csv', 'text/csv'],
        ['json.p7s', 'application/pkcs7-signature'],
        ['csv.p7s', 'application/pkcs7-signature'],
      ] as const) {
        add(`/settlement/windows/{windowId}/report.${suffix}`, 'get', {
          operationId: `getSettlementReport_${suffix.replace('.', '_')}`,
          summary: suffix.endsWith('p7s') ? `Detached CMS signature of the ${suffix.slice(0, -4)} report` : `Settlement report (${suffix})`,
          description: roles,
          parameters: pathParams.length > 0 ? pathParams : [{ name: 'windowId', in: 'path', required: true, schema: str }],
          responses: { '200': { description: 'The document.', content: { [type]: { schema: { type: 'string', ...(suffix.endsWith('p7s') ? { contentEncoding: 'binary' } : {}) } } } }, default: problem },
        });
      }
      continue;
    }
    const b = BODIES[op.id];
    const path = PATHS[op.id];
    if (b === undefined || path === undefined) throw new Error(`operation ${op.id} has no OpenAPI description`);
    add(path, op.method.toLowerCase(), {
      operationId: op.id,
      description: roles,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(b.request !== undefined ? { requestBody: { required: true, content: { 'application/json': { schema: ref(b.request) } } } } : {}),
      responses: { [b.status]: { description: 'Done.', content: { 'application/json': { schema: ref(b.response) } } }, default: problem },
    });
  }
  add('/callback-key.pem', 'get', {
    operationId: 'getCallbackKey',
    security: [],
    summary: 'The public key (PEM SPKI) that verifies X-MSSP-Signature on webhooks and MSS_Notification calls.',
    responses: { '200': { description: 'PEM.', content: { 'application/x-pem-file': { schema: str } } } },
  });
  return {
    openapi: '3.1.0',
    info: { title: 'MSSP mobile payments (ITU-T Y.2741): merchants, PSPs, banks', version: '1.0.0' },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }],
    paths,
    webhooks: { offerEnded: { post: { requestBody: { content: { 'application/json': { schema: ref('WebhookEvent') } } }, responses: { '200': { description: 'Received.' } } } } },
    components: {
      schemas: SCHEMAS,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <key id>.<secret>; a key may also require its TLS client certificate.' } },
    },
  };
}
