import type { MerchantRecord, Store } from '../../store';
import type { PayerDirectory } from '../approval-port';
import { MpsError } from '../errors';
import { checkId } from '../ledger/validate';

/**
 * Merchants of the REST API (the account their offers are paid into, where their webhooks go) and the payers'
 * accounts by phone number. The payer table stands in for the enrolled-instrument directory of item 1 until it
 * is wired: anything implementing PayerDirectory can replace `payers()`.
 */

const MSISDN = /^\+[1-9]\d{6,14}$/;

export function checkWebhookUrl(url: unknown): string {
  if (typeof url !== 'string' || url.length > 2048) throw new MpsError('INVALID_REQUEST', 'a webhook URL is an http(s) URL of at most 2048 characters');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MpsError('INVALID_REQUEST', 'the webhook URL does not parse');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new MpsError('INVALID_REQUEST', 'a webhook URL is http or https');
  return url;
}

export class MpsDirectory {
  constructor(
    private readonly store: Store,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async putMerchant(m: { participantId: string; accountId: string; webhookUrl?: string | null; pspId?: string | null }): Promise<MerchantRecord> {
    const participant = await this.store.ledger.participant(checkId(m.participantId, 'merchant id'));
    if (participant === undefined || participant.kind !== 'merchant') throw new MpsError('UNKNOWN_PARTICIPANT', `merchant ${m.participantId} is unknown`);
    const account = await this.store.ledger.account(checkId(m.accountId, 'account id'));
    if (account === undefined || account.participantId !== participant.id) throw new MpsError('UNKNOWN_ACCOUNT', `merchant ${participant.id} has no account ${m.accountId}`);
    const webhookUrl = m.webhookUrl === undefined || m.webhookUrl === null ? null : checkWebhookUrl(m.webhookUrl);
    let pspId: string | null = null;
    if (m.pspId !== undefined && m.pspId !== null) {
      const psp = await this.store.ledger.participant(checkId(m.pspId, 'PSP id'));
      if (psp === undefined) throw new MpsError('UNKNOWN_PARTICIPANT', `PSP ${m.pspId} is unknown`);
      pspId = psp.id;
    }
    const record: MerchantRecord = { participantId: participant.id, accountId: account.id, webhookUrl, pspId, createdAt: this.clock() };
    await this.store.mpsAccess.putMerchant(record);
    return record;
  }

  async merchant(id: string): Promise<MerchantRecord> {
    const m = await this.store.mpsAccess.merchant(checkId(id, 'merchant id'));
    if (m === undefined) throw new MpsError('UNKNOWN_PARTICIPANT', `merchant ${id} is not registered for the API`);
    return m;
  }

  async putPayer(p: { msisdn: string; accountId: string }): Promise<void> {
    if (typeof p.msisdn !== 'string' || !MSISDN.test(p.msisdn)) throw new MpsError('INVALID_REQUEST', 'a payer is named by an E.164 number with the leading +');
    const account = await this.store.ledger.account(checkId(p.accountId, 'account id'));
    if (account === undefined) throw new MpsError('UNKNOWN_ACCOUNT', `account ${p.accountId} is unknown`);
    await this.store.mpsAccess.putPayer({ msisdn: p.msisdn, currency: account.currency, accountId: account.id });
  }

  payers(): PayerDirectory {
    return { accountFor: async (msisdn, currency) => (await this.store.mpsAccess.payer(msisdn, currency))?.accountId };
  }
}
