import { signatureHeader, type CallbackSigner } from '../callback-signature';
import { readReceiptReq } from '../../mss/messages/read';
import type { ReceiptReq, StatusResp } from '../../mss/messages/types';
import type { NotificationSender } from '../../mss/notifications';
import { readSoapRequest } from './envelope';
import { DEFAULT_XML_LIMITS } from './safe-xml';
import { soapEnvelope } from './serialize';

/**
 * The SOAP client side of MSS_Notification: our MSS_StatusResp to the AP's endpoint, its MSS_ReceiptReq read back
 * through the same safe reader and validation as any request. An AP's answer is untrusted input too.
 * With a signer, each call carries X-MSSP-Signature over `<t>.<envelope>` (the same signer and header as the
 * payment webhooks), so the AP can tell our notifications from anyone else's.
 */
export function soapNotificationSender(timeoutMs = 10_000, signer?: CallbackSigner): NotificationSender {
  return {
    async send(url: string, notification: StatusResp): Promise<ReceiptReq> {
      const envelope = Buffer.from(soapEnvelope('MSS_Notification', notification), 'utf8');
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/soap+xml; charset=utf-8', ...(signer !== undefined ? { 'x-mssp-signature': await signatureHeader(signer, envelope) } : {}) },
        body: envelope,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared > DEFAULT_XML_LIMITS.maxBytes) throw new Error(`the AP answered with ${declared} bytes`);
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) throw new Error(`the AP answered HTTP ${res.status}`);
      const soap = readSoapRequest(body);
      if (soap.kind !== 'MSS_ReceiptReq') throw new Error(`the AP answered with ${soap.kind}, not MSS_ReceiptReq`);
      return readReceiptReq(soap.message);
    },
  };
}
