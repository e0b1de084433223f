import type { ApRecord } from '../../store';
import type { HandshakeReq, HandshakeResp, ProfileReq, ProfileResp, ReceiptReq, ReceiptResp, StatusReq, StatusResp } from '../messages/types';
import { MssFault, STATUS_CODES } from '../status';
import { answerHeader, endTransaction, newMsspTransId, ownTransaction, type OperationContext } from './context';
import { finalStatus } from './signature';

/** MSS_StatusQuery: 504 while outstanding (or 208 once past the deadline), then the outcome. */
export async function mssStatusQuery(ctx: OperationContext, ap: ApRecord, req: StatusReq): Promise<StatusResp> {
  let tx = await ownTransaction(ctx, ap, req.msspTransId);
  if (tx.state === 'outstanding' && tx.deadlineAt.getTime() <= Date.now()) {
    // Another node's timer may not have fired (or that node is gone): whoever looks first ends it.
    await endTransaction(ctx, tx.msspTransId, { state: 'expired', statusCode: 208 });
    tx = (await ctx.repo.findTransaction(tx.msspTransId)) ?? tx;
  }
  const mobileUser = { msisdn: tx.msisdn };
  if (tx.state === 'outstanding') {
    return { kind: 'MSS_StatusResp', ...answerHeader(ctx, req), mobileUser, status: { code: 504, message: STATUS_CODES[504].name } };
  }
  const code = finalStatus(tx);
  return {
    kind: 'MSS_StatusResp',
    ...answerHeader(ctx, req),
    mobileUser,
    ...(tx.signature !== null ? { signature: { base64Signature: tx.signature } } : {}),
    status: { code, message: STATUS_CODES[code].name },
  };
}

/** MSS_Receipt: the AP's message (if any) is shown on the phone; the transaction must be the AP's own. */
export async function mssReceipt(ctx: OperationContext, ap: ApRecord, req: ReceiptReq): Promise<ReceiptResp> {
  const tx = await ownTransaction(ctx, ap, req.msspTransId);
  if (req.mobileUser.msisdn !== tx.msisdn) throw new MssFault(101, 'MobileUser does not match the transaction');
  if (req.message) {
    const text = req.message.encoding === 'base64' ? Buffer.from(req.message.value, 'base64').toString('utf8') : req.message.value;
    if (!(await ctx.approver.notify(tx.msisdn, text))) throw new MssFault(209, 'the receipt could not be shown');
  }
  return { kind: 'MSS_ReceiptResp', ...answerHeader(ctx, req), status: { code: 100, message: STATUS_CODES[100].name } };
}

/** MSS_ProfileQuery: the profiles this AP may use that the user's SIM can serve. */
export async function mssProfileQuery(ctx: OperationContext, ap: ApRecord, req: ProfileReq): Promise<ProfileResp> {
  const user = await ctx.approver.lookup(req.mobileUser.msisdn as string);
  if (!user) throw new MssFault(105, 'no such MSISDN');
  const profiles = ctx.profiles.filter((p) => user.keys.includes(p.key) && ap.profiles.includes(p.uri)).map((p) => ({ mssUri: p.uri }));
  return { kind: 'MSS_ProfileResp', ...answerHeader(ctx, req), signatureProfiles: profiles, status: { code: 100, message: STATUS_CODES[100].name } };
}

/** MSS_Handshake: we secure no method with XML signatures or encryption; the algorithms we match are listed. */
export function mssHandshake(ctx: OperationContext, _ap: ApRecord, req: HandshakeReq): Promise<HandshakeResp> {
  const ours = new Set(['http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256']);
  return Promise.resolve({
    kind: 'MSS_HandshakeResp',
    ...answerHeader(ctx, req),
    msspTransId: newMsspTransId(),
    secureMethods: { MSS_Signature: false, MSS_Registration: false, MSS_Notification: false, MSS_ProfileQuery: false, MSS_Receipt: false, MSS_Status: false },
    matchingMsspCertificates: [],
    matchingApCertificates: [],
    matchingSignatureAlgorithms: req.signatureAlgorithms.filter((a) => ours.has(a.mssUri)),
  });
}
