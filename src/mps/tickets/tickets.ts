import { randomBytes, randomInt } from 'node:crypto';
import type { Logger } from '../../log';
import { parseCertificate, verifySignature, type CmsSigner } from '../../pki';
import { isStoreError, type Store, type TicketRecord } from '../../store';
import { MpsError } from '../errors';
import { checkId } from '../ledger/validate';

/**
 * One-time tickets (the POS flow of the ITU toolkit's Polish case). The client's app asks its issuer for a ticket;
 * the Active Discovery Service (ADS, this class) makes it: an 8-digit code the cashier can type, and the same
 * ticket as a QR payload, signed by the issuer's key. Neither carries anything sensitive: no account, no number,
 * no amount. The merchant's POS hands the code or QR to its PSP, the PSP to the ADS, which checks the issuer's
 * signature, matches the ticket to the client, spends it (once: a second redemption is refused even when two
 * arrive together) and returns where to route the payment for approval on the SIM.
 */

export interface TicketIssuer {
  /** The issuer's key (in the HSM) and certificate; the ADS verifies with the certificate's public key. */
  readonly signer: CmsSigner;
}

export interface OneTimeTicketsOptions {
  readonly store: Store;
  /** Issuers by participant id (banks). */
  readonly issuers: ReadonlyMap<string, TicketIssuer>;
  readonly clock?: () => Date;
  /** Longest ticket life. Default 2 minutes: a ticket is for the queue at one till. */
  readonly maxTtlMs?: number;
  readonly logger?: Logger;
}

export interface IssuedTicket {
  readonly code: string;
  /** `MPSOTT1.<ticket id>.<code>.<issuer>.<expiry ms>.<signature, base64url>` */
  readonly qr: string;
  readonly expiresAt: Date;
}

export interface RedeemedTicket {
  readonly ticketId: string;
  readonly issuerId: string;
  readonly accountId: string;
  readonly clientMsisdn: string;
}

const SIGNATURE_OIDS: Readonly<Record<string, string>> = {
  ES256: '1.2.840.10045.4.3.2',
  ES384: '1.2.840.10045.4.3.3',
  ES512: '1.2.840.10045.4.3.4',
  RS256: '1.2.840.113549.1.1.11',
};
const DEFAULT_MAX_TTL_MS = 2 * 60_000;
const CODE = /^\d{8}$/;
const QR = /^MPSOTT1\.([0-9a-f]{32})\.(\d{8})\.([A-Za-z0-9][A-Za-z0-9._:-]{0,63})\.(\d{1,15})\.([A-Za-z0-9_-]{16,1024})$/;

/** What the issuer signs: the ticket's own fields only. */
export function ticketBytes(id: string, code: string, issuerId: string, expiresAt: Date): Buffer {
  return Buffer.from(`mps-ott/1\nid=${id}\ncode=${code}\nissuer=${issuerId}\nexpires=${expiresAt.getTime()}\n`, 'utf8');
}

export class OneTimeTickets {
  private readonly o: OneTimeTicketsOptions;
  private readonly clock: () => Date;

  constructor(options: OneTimeTicketsOptions) {
    this.o = options;
    this.clock = options.clock ?? (() => new Date());
    for (const [id, issuer] of options.issuers) {
      if (SIGNATURE_OIDS[issuer.signer.algorithm] === undefined) throw new Error(`issuer ${id}: tickets are signed with ES256, ES384, ES512 or RS256`);
    }
  }

  /** Issues a ticket for a client's account at an issuer. */
  async issue(issuerId: string, request: { accountId: string; clientMsisdn: string; ttlMs?: number }): Promise<IssuedTicket> {
    const issuer = this.o.issuers.get(issuerId);
    if (issuer === undefined) throw new MpsError('UNKNOWN_PARTICIPANT', `issuer ${issuerId} issues no tickets here`);
    const account = await this.o.store.ledger.account(checkId(request.accountId, 'account id'));
    if (account === undefined || account.bankId !== issuerId) throw new MpsError('UNKNOWN_ACCOUNT', `issuer ${issuerId} holds no account ${request.accountId}`);
    const ttl = request.ttlMs ?? this.o.maxTtlMs ?? DEFAULT_MAX_TTL_MS;
    if (!Number.isSafeInteger(ttl) || ttl <= 0 || ttl > (this.o.maxTtlMs ?? DEFAULT_MAX_TTL_MS)) throw new MpsError('INVALID_REQUEST', 'the ticket life is out of range');
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + ttl);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const code = randomInt(0, 100_000_000).toString().padStart(8, '0');
      // A code is unique among live tickets, so the cashier's eight digits name one ticket.
      if ((await this.o.store.tickets.liveByCode(code, now)).length > 0) continue;
      const id = randomBytes(16).toString('hex');
      const signature = Buffer.from(await issuer.signer.sign(ticketBytes(id, code, issuerId, expiresAt)));
      await this.o.store.tickets.insertTicket({ id, code, issuerId, accountId: account.id, clientMsisdn: request.clientMsisdn, expiresAt, signature, createdAt: now });
      return { code, qr: `MPSOTT1.${id}.${code}.${issuerId}.${expiresAt.getTime()}.${signature.toString('base64url')}`, expiresAt };
    }
    throw new MpsError('INVALID_REQUEST', 'no free ticket code; try again');
  }

  /** The ADS step: checks and spends a ticket presented by a merchant's PSP (as 8 digits or as the QR payload). */
  async redeem(presented: string, merchantId: string): Promise<RedeemedTicket> {
    try {
      return await this.redeemChecked(presented, merchantId);
    } catch (err) {
      if (err instanceof MpsError) this.o.logger?.info({ component: 'mps.tickets', merchant: String(merchantId).slice(0, 64), code: err.code }, err.message);
      throw err;
    }
  }

  private async redeemChecked(presented: string, merchantId: string): Promise<RedeemedTicket> {
    const now = this.clock();
    let ticket: TicketRecord;
    if (typeof presented === 'string' && CODE.test(presented)) {
      const live = await this.o.store.tickets.liveByCode(presented, now);
      if (live.length !== 1 || live[0] === undefined) throw new MpsError('TICKET_UNKNOWN', 'no live ticket has that code');
      ticket = live[0];
    } else {
      const m = typeof presented === 'string' ? QR.exec(presented) : null;
      if (m === null) throw new MpsError('TICKET_INVALID', 'the ticket is neither an 8-digit code nor a ticket QR payload');
      const [, id = '', code = '', issuerId = '', expiry = '', sig = ''] = m;
      const stored = await this.o.store.tickets.ticket(id);
      if (stored === undefined) throw new MpsError('TICKET_UNKNOWN', 'no ticket has that id');
      // The QR must be this ticket's, field by field, and carry the issuer's signature over them.
      const claimed = ticketBytes(id, code, issuerId, new Date(Number(expiry)));
      const valid = stored.code === code && stored.issuerId === issuerId && stored.expiresAt.getTime() === Number(expiry) && this.signedByIssuer(issuerId, claimed, Buffer.from(sig, 'base64url'));
      if (!valid) throw new MpsError('TICKET_INVALID', 'the ticket is not one the issuer signed');
      ticket = stored;
    }
    if (!this.signedByIssuer(ticket.issuerId, ticketBytes(ticket.id, ticket.code, ticket.issuerId, ticket.expiresAt), ticket.signature)) {
      throw new MpsError('TICKET_INVALID', 'the stored ticket does not carry its issuer signature');
    }
    if (now.getTime() >= ticket.expiresAt.getTime()) throw new MpsError('TICKET_EXPIRED', 'the ticket expired');
    try {
      await this.o.store.tickets.redeem(ticket.id, checkId(merchantId, 'merchant id'), now);
    } catch (err) {
      if (isStoreError(err, 'UNIQUE_VIOLATION')) throw new MpsError('TICKET_USED', 'the ticket was used already');
      throw err;
    }
    this.o.logger?.info({ component: 'mps.tickets', ticket: ticket.id, merchant: merchantId }, 'ticket redeemed');
    return { ticketId: ticket.id, issuerId: ticket.issuerId, accountId: ticket.accountId, clientMsisdn: ticket.clientMsisdn };
  }

  private signedByIssuer(issuerId: string, data: Buffer, signature: Buffer): boolean {
    const issuer = this.o.issuers.get(issuerId);
    const oid = issuer === undefined ? undefined : SIGNATURE_OIDS[issuer.signer.algorithm];
    if (issuer === undefined || oid === undefined) return false;
    try {
      const certificate = parseCertificate(issuer.signer.certificate);
      return verifySignature({ algorithm: oid, publicKey: certificate.subjectPublicKeyInfo, data, signature }).ok;
    } catch {
      // A signature that does not even parse is a forgery like any other.
      return false;
    }
  }
}
