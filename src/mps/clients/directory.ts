import { currentPair, isMid, isRaError, type MobileIdView } from '../../pki';
import type { InstrumentRecord, InstrumentStateName, InstrumentStateRecord, Store } from '../../store';
import type { PayerDirectory } from '../approval-port';

/**
 * Who a client is, for payments: the mobile-ID directory (src/pki/ra) says which mobile IDs an MSISDN holds and
 * their certificates; the instruments table says how the client pays and is paid. A client is known to payments
 * only while one of its mobile IDs is active: a suspended or revoked citizen neither pays nor is paid.
 */

/** The part of the RegistrationAuthority this needs (RegistrationAuthority fits it as it is). */
export interface MobileIdLookup {
  show(msisdn: string): Promise<readonly MobileIdView[]>;
  view(mid: string): Promise<MobileIdView>;
}

export interface InstrumentView {
  readonly id: string;
  readonly clientMsisdn: string;
  readonly clientMid: string | null;
  readonly kind: InstrumentRecord['kind'];
  readonly currency: string;
  readonly ledgerAccountId: string;
  readonly label: string;
  readonly details: Readonly<Record<string, string>>;
  readonly isDefault: boolean;
  readonly state: InstrumentStateName;
  readonly detail: string | null;
  readonly history: readonly InstrumentStateRecord[];
}

export interface ClientView {
  readonly msisdn: string;
  /** The active mobile ID the client pays with (the first, when an MSISDN holds several). */
  readonly mid: string;
  readonly name: string;
  /** DER of the active mobile ID's current certificates. */
  readonly certificates: { readonly authentication: Uint8Array; readonly signature: Uint8Array };
  readonly instruments: readonly InstrumentView[];
}

export async function instrumentView(store: Store, record: InstrumentRecord): Promise<InstrumentView> {
  const history = await store.instruments.states(record.id);
  const last = history[history.length - 1];
  const { canonical: _canonical, createdAt: _createdAt, ...rest } = record;
  return { ...rest, state: last?.state ?? 'pending', detail: last?.detail ?? null, history };
}

/**
 * An instrument serves the mobile ID it was enrolled under: when a number is given to another subscriber (a new
 * mobile ID on a recycled MSISDN), the earlier holder's instruments neither pay nor receive for the new one.
 */
export function belongsTo(instrument: Pick<InstrumentView, 'clientMsisdn' | 'clientMid'>, client: Pick<ClientView, 'msisdn' | 'mid'>): boolean {
  return instrument.clientMsisdn === client.msisdn && (instrument.clientMid === null || instrument.clientMid === client.mid);
}

export class ClientDirectory implements PayerDirectory {
  constructor(private readonly options: { readonly store: Store; readonly mobileIds: MobileIdLookup }) {}

  /** The client behind an MSISDN (+E.164) or a mobile ID (mid:<uuid>), or undefined when none is active. */
  async find(msisdnOrMid: string): Promise<ClientView | undefined> {
    const active = await this.activeMobileId(msisdnOrMid);
    if (active === undefined) return undefined;
    const msisdn = active.current.msisdn;
    const pair = currentPair(active);
    const records = await this.options.store.instruments.instrumentsOf(msisdn);
    return {
      msisdn,
      mid: active.mobileId.mid,
      name: `${active.mobileId.givenName} ${active.mobileId.familyName}`,
      certificates: { authentication: pair.auth.der, signature: pair.sign.der },
      instruments: await Promise.all(records.map((r) => instrumentView(this.options.store, r))),
    };
  }

  /** The signature certificate registered for an MSISDN: a payment signature must be made with exactly this one. */
  async signatureCertificate(msisdn: string): Promise<Uint8Array | undefined> {
    const active = await this.activeMobileId(msisdn);
    return active === undefined ? undefined : currentPair(active).sign.der;
  }

  /**
   * The instrument money to this client in `currency` goes to, and that a merchant's offer is paid from: the
   * newest active one enrolled as default, else the oldest active one in that currency.
   */
  async defaultInstrument(msisdn: string, currency: string): Promise<InstrumentView | undefined> {
    const client = await this.find(msisdn);
    if (client === undefined) return undefined;
    const usable = client.instruments.filter((i) => i.state === 'active' && i.currency === currency && belongsTo(i, client));
    return [...usable].reverse().find((i) => i.isDefault) ?? usable[0];
  }

  async accountFor(msisdn: string, currency: string): Promise<string | undefined> {
    return (await this.defaultInstrument(msisdn, currency))?.ledgerAccountId;
  }

  private async activeMobileId(msisdnOrMid: string): Promise<MobileIdView | undefined> {
    try {
      const views = isMid(msisdnOrMid) ? [await this.options.mobileIds.view(msisdnOrMid)] : await this.options.mobileIds.show(msisdnOrMid);
      return views.find((v) => v.current.status === 'active');
    } catch (err) {
      // Unknown or malformed numbers and mIDs are simply not clients; the caller answers with its own code.
      if (isRaError(err)) return undefined;
      throw err;
    }
  }
}
