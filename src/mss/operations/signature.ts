import { createHash } from 'node:crypto';
import type { ApprovalOutcome } from '../../approval';
import type { ApRecord, MssTransactionRecord } from '../../store';
import type { SignatureReq, SignatureResp } from '../messages/types';
import { OUTCOME_STATUS } from '../outcome';
import { PKCS7_FORMAT, formatOf } from '../profiles';
import { MssFault, STATUS_CODES, type StatusCode } from '../status';
import { VALIDATE_SERVICE, validateSignature } from '../validation';
import { addSignatureTimeStamp } from '../../pki';

/** The AdditionalService URI by which an AP asks for an RFC 3161 time-stamp over the signature (TS 102 204 §5.2.x). */
export const TIMESTAMP_SERVICE = 'http://uri.etsi.org/TS102204/v1.1.2#timestamp';
import { answerHeader, endTransaction, newMsspTransId, recordRequest, type OperationContext } from './context';

/**
 * A short code derived from the hash of what is signed, shown on the phone beside DataToBeDisplayed so the
 * citizen can compare it with what the AP's screen shows ("what you see is what you sign").
 */
export function verificationCode(dataToBeSigned: Uint8Array): string {
  const digest = createHash('sha256').update(dataToBeSigned).digest();
  return String(digest.readUInt32BE(0) % 10_000).padStart(4, '0');
}

function bytesOf(req: SignatureReq): Uint8Array {
  const { value, encoding } = req.dataToBeSigned;
  return encoding === 'base64' ? Buffer.from(value.replace(/\s+/g, ''), 'base64') : Buffer.from(value, 'utf8');
}

function displayOf(req: SignatureReq, code: string): string {
  const shown = req.dataToBeDisplayed
    ? req.dataToBeDisplayed.encoding === 'base64'
      ? Buffer.from(req.dataToBeDisplayed.value, 'base64').toString('utf8')
      : req.dataToBeDisplayed.value
    : req.dataToBeSigned.encoding === 'base64'
      ? ''
      : req.dataToBeSigned.value;
  return `${shown} [${code}]`;
}

export function signatureResponse(ctx: OperationContext, req: Pick<SignatureReq, keyof SignatureReq>, tx: MssTransactionRecord, code: StatusCode): SignatureResp {
  return {
    kind: 'MSS_SignatureResp',
    ...answerHeader(ctx, req),
    msspTransId: tx.msspTransId,
    mobileUser: req.mobileUser,
    ...(tx.signature !== null && code >= 500 && code <= 505 ? { signature: { base64Signature: tx.signature } } : {}),
    ...(tx.signatureProfile !== null ? { signatureProfile: { mssUri: tx.signatureProfile } } : {}),
    status: { code, message: STATUS_CODES[code].name },
  };
}

/** Records the approval's outcome unless the transaction already ended (expired): a late answer is logged and dropped. */
/**
 * The time-stamp additional service: the token goes into the CMS as the signature-time-stamp unsigned attribute
 * (RFC 3161 Appendix A, CAdES-T). If the TSA fails, the citizen's signature is still returned, without it, and the
 * failure is logged: losing a signature the citizen gave would be worse.
 */
async function withTimeStamp(ctx: OperationContext, tx: MssTransactionRecord, outcome: ApprovalOutcome): Promise<ApprovalOutcome> {
  if (outcome.kind !== 'signed' || ctx.signatureTimeStamper === undefined) return outcome;
  try {
    return { ...outcome, signature: await addSignatureTimeStamp(outcome.signature, ctx.signatureTimeStamper) };
  } catch (err) {
    ctx.logger.error({ err, msspTransId: tx.msspTransId }, 'the signature could not be time-stamped: returned without its time-stamp');
    return outcome;
  }
}

async function settle(ctx: OperationContext, tx: MssTransactionRecord, answer: ApprovalOutcome, validateOver?: Uint8Array, timeStamp = false): Promise<MssTransactionRecord> {
  const outcome = timeStamp ? await withTimeStamp(ctx, tx, answer) : answer;
  let code: StatusCode = OUTCOME_STATUS[outcome.kind];
  if (outcome.kind === 'signed' && validateOver && ctx.validation) {
    const verdict = await validateSignature(ctx.validation, outcome.signature, validateOver);
    code = verdict.code;
    if (verdict.reason) ctx.logger.warn({ msspTransId: tx.msspTransId, status: code, reason: verdict.reason }, 'signature did not validate');
  }
  const ended = await endTransaction(
    ctx,
    tx.msspTransId,
    outcome.kind === 'signed'
      ? { state: 'completed', statusCode: code, signature: Buffer.from(outcome.signature).toString('base64') }
      : { state: outcome.kind === 'timeout' ? 'expired' : 'failed', statusCode: code },
  );
  if (!ended) ctx.logger.warn({ msspTransId: tx.msspTransId, outcome: outcome.kind }, 'late answer for an ended transaction ignored');
  else ctx.logger.info({ msspTransId: tx.msspTransId, apId: tx.apId, status: code }, 'signature transaction ended');
  const after = ended ?? (await ctx.repo.findTransaction(tx.msspTransId));
  if (!after) throw new Error(`transaction ${tx.msspTransId} vanished`);
  return after;
}

/**
 * Ends the transaction as EXPIRED_TRANSACTION when its deadline passes with no answer. Returns a cancel for when
 * the answer comes first, so a finished transaction costs no query at its deadline.
 */
function expireAtDeadline(ctx: OperationContext, tx: MssTransactionRecord): () => void {
  const timer = setTimeout(
    () => {
      ctx.timers.delete(timer);
      endTransaction(ctx, tx.msspTransId, { state: 'expired', statusCode: 208 }).then(
        (ended) => {
          if (ended) ctx.logger.info({ msspTransId: tx.msspTransId }, 'signature transaction expired');
        },
        (err: unknown) => ctx.logger.error({ err, msspTransId: tx.msspTransId }, 'could not expire a transaction'),
      );
    },
    Math.max(0, tx.deadlineAt.getTime() - Date.now()),
  );
  timer.unref();
  ctx.timers.add(timer);
  return () => {
    clearTimeout(timer);
    ctx.timers.delete(timer);
  };
}

/** For a synch request whose approver does not keep its own time: the transaction as it stands at the deadline. */
function afterDeadline(ctx: OperationContext, tx: MssTransactionRecord): { readonly promise: Promise<MssTransactionRecord>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      if (timer) ctx.timers.delete(timer);
      resolve();
    }, Math.max(0, tx.deadlineAt.getTime() - Date.now()) + 50);
    ctx.timers.add(timer);
  }).then(async () => {
    const ended = await endTransaction(ctx, tx.msspTransId, { state: 'expired', statusCode: 208 });
    return ended ?? (await ctx.repo.findTransaction(tx.msspTransId)) ?? tx;
  });
  return {
    promise,
    cancel: () => {
      if (timer) {
        clearTimeout(timer);
        ctx.timers.delete(timer);
      }
    },
  };
}

/** A final state as the AP sees it: completed → its status; failed/expired → the fault. */
export function finalStatus(tx: MssTransactionRecord): StatusCode {
  const code = tx.statusCode ?? 900;
  const known = code in STATUS_CODES ? (code as StatusCode) : 900;
  if (tx.state === 'completed') return known;
  if (STATUS_CODES[known].kind === 'status') return 900;
  throw new MssFault(known as Exclude<StatusCode, 100 | 500 | 501 | 502 | 503 | 504 | 505>);
}

export async function mssSignature(ctx: OperationContext, ap: ApRecord, req: SignatureReq): Promise<SignatureResp> {
  const profileUri = req.signatureProfile?.mssUri ?? ap.profiles[0];
  const profile = ctx.profiles.find((p) => p.uri === profileUri);
  if (!profileUri || !profile) throw new MssFault(109, `signature profile ${profileUri ?? '(none)'} is not offered`);
  if (!ap.profiles.includes(profile.uri)) throw new MssFault(104, `signature profile ${profile.uri} is not allowed for this AP`);
  const formatUri = req.mssFormat?.mssUri ?? PKCS7_FORMAT;
  const format = formatOf(formatUri);
  if (!format) throw new MssFault(101, `MSS_Format ${formatUri} is not supported`);
  if (!ap.formats.includes(formatUri)) throw new MssFault(104, `MSS_Format ${formatUri} is not allowed for this AP`);
  if (req.messagingMode === 'asynchServerServer' && !ctx.notificationsEnabled) throw new MssFault(101, 'asynchServerServer is not offered');
  if (req.messagingMode === 'asynchServerServer' && !(req.apInfo.apUrl ?? ap.notificationUrl)) {
    throw new MssFault(101, 'asynchServerServer needs AP_URL or a registered notification URL');
  }
  const validate = req.additionalServices.some((s) => s.mssUri === VALIDATE_SERVICE);
  if (validate && !ctx.validation) throw new MssFault(101, 'the validation service is not offered');
  if (validate && format !== 'PKCS7') throw new MssFault(101, 'validation needs MSS_Format PKCS7');
  const timeStamp = req.additionalServices.some((s) => s.mssUri === TIMESTAMP_SERVICE);
  if (timeStamp && !ctx.signatureTimeStamper) throw new MssFault(101, 'the time-stamp service is not offered');
  if (timeStamp && format !== 'PKCS7') throw new MssFault(101, 'a time-stamp needs MSS_Format PKCS7 (it travels inside the CMS)');
  const msisdn = req.mobileUser.msisdn as string;
  const user = await ctx.approver.lookup(msisdn);
  if (!user) throw new MssFault(105, 'no such MSISDN');
  if (!user.keys.includes(profile.key)) throw new MssFault(404, `the SIM holds no ${profile.key} key`);

  const timeoutSeconds = req.timeOut ?? ctx.defaultTimeoutSeconds;
  const { apPwd: _secret, ...apInfo } = req.apInfo;
  const tx = await ctx.repo.insertTransaction({
    msspTransId: newMsspTransId(),
    apId: ap.apId,
    apTransId: req.apInfo.apTransId,
    msisdn,
    messagingMode: req.messagingMode,
    // DataToBeSigned is kept (base64) for the evidence bundle of a detached signature.
    request: JSON.stringify({ apInfo, mobileUser: req.mobileUser, format: formatUri, dataToBeSigned: Buffer.from(bytesOf(req)).toString('base64') }),
    deadlineAt: new Date(Date.now() + timeoutSeconds * 1000),
    signatureProfile: profile.uri,
  });
  const cancelExpiry = expireAtDeadline(ctx, tx);
  const data = bytesOf(req);
  await recordRequest(ctx, tx, data);
  const outcome = ctx.approver
    .approve({ msisdn, display: displayOf(req, verificationCode(data)), dataToBeSigned: data, key: profile.key, format, timeoutMs: timeoutSeconds * 1000, reference: tx.msspTransId })
    .then(
      (o) => {
        cancelExpiry();
        return settle(ctx, tx, o, validate ? data : undefined, timeStamp);
      },
      async (err: unknown) => {
        ctx.logger.error({ err, msspTransId: tx.msspTransId }, 'approval failed');
        const ended = await endTransaction(ctx, tx.msspTransId, { state: 'failed', statusCode: 900 });
        const after = ended ?? (await ctx.repo.findTransaction(tx.msspTransId));
        if (!after) throw err;
        return after;
      },
    );
  ctx.inFlight.set(tx.msspTransId, outcome);
  void outcome.finally(() => ctx.inFlight.delete(tx.msspTransId)).catch(() => undefined);

  if (req.messagingMode !== 'synch') return signatureResponse(ctx, req, tx, 100);
  const deadline = afterDeadline(ctx, tx);
  // The fast path is this node's own approval; the endings cover a transaction another node ended first.
  const elsewhere = ctx.endings.wait(tx.msspTransId);
  const endedElsewhere = elsewhere.promise.then(async () => {
    const now = await ctx.repo.findTransaction(tx.msspTransId);
    // Still outstanding: a stray event; keep waiting on the other two.
    return now === undefined || now.state === 'outstanding' ? new Promise<never>(() => undefined) : now;
  });
  try {
    const ended = await Promise.race([outcome, deadline.promise, endedElsewhere]);
    return signatureResponse(ctx, req, ended, finalStatus(ended));
  } finally {
    deadline.cancel();
    elsewhere.cancel();
  }
}
