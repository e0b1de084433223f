import { createLogger, type Logger } from '../../log';
import { ByteReader, hex, readUintBE, sameBytes, uintBE } from './bytes';
import type { CommandOutcome } from './command-packet';
import { MAX_COUNTER } from './command-packet';
import type { OtaCrypto } from './crypto';
import { OtaError, isOtaError } from './errors';
import { blockSize, checkLength, computeCheck, paddingFor, resolveSecurity, runCipher, type CheckSpec, type CipherSpec } from './security';
import { IEI_RESPONSE_PACKET, OTA_MAX_PACKET_OCTETS, packetToUserData, userDataToPacket } from './sms';
import { encodeKic, encodeKid, type Kic, type Kid, type PorTransport, type Spi } from './spi';
import { POR_STATUS, isPorStatusCode, porStatusCode, type PorStatusCode, type PorStatusName } from './status';

/**
 * Response packets (PoR) for SMS-PP (ETSI TS 102 225 §5.4, 3GPP TS 31.115 §4.4):
 *
 *   UDHL='02' IEI='71' IEIDL='00' | RPL(2) RHL(1) TAR(3) | CNTR(5) PCNTR(1) status(1) RC/CC/DS(n) data [padding]
 *                                                         |<-------- ciphered when SPI2 b5 = 1 -------->|
 *   RPL counts the octets after itself; RHL those from TAR to the end of RC/CC/DS (10 + n).
 *   CNTR echoes the command's. The PoR uses the command's KIc/KID, algorithms and zero-IV CBC.
 *   RC/CC covers UDHL, IEI, IEIDL, RPL, RHL, TAR, CNTR, PCNTR, status and the data with padding: unlike the
 *   command, TS 31.115 §4.4 includes the three UDH octets here (they bring the part before the CC to 16).
 *   Checked against PoRs returned by sysmoISIM-SJA5 cards (fixtures/ota/secured-packet-vectors.json).
 *   A concatenated PoR (via SMS-SUBMIT) computes the CC over the same '02 71 00' as a single SM: a choice,
 *   see the README's open points.
 */

const POR_UDH = Buffer.from([0x02, IEI_RESPONSE_PACKET, 0x00]);
/** TAR 3, CNTR 5, PCNTR 1, status 1. */
const RHL_FIXED = 10;

export interface ResponsePacketInput {
  readonly tar: Uint8Array;
  /** The CNTR of the command packet this answers. */
  readonly counter: bigint;
  readonly status: PorStatusName;
  /** Additional response data (e.g. the application's answer); empty for error PoRs. */
  readonly data?: Uint8Array;
  /** Cipher the PoR (SPI2 b5) with the command's KIc. */
  readonly cipher?: CipherSpec;
  /** RC or CC over the PoR (SPI2 b4b3) with the command's KID. */
  readonly check?: CheckSpec;
  readonly concatRef?: number;
}

export interface BuiltResponsePacket {
  /** RPL onwards. */
  readonly packet: Buffer;
  /** TP-UD of each SM, UDH included. */
  readonly userData: Buffer[];
}

export async function buildResponsePacket(input: ResponsePacketInput, crypto: OtaCrypto): Promise<BuiltResponsePacket> {
  if (input.tar.length !== 3) throw new OtaError('INVALID_ARGUMENT', 'TAR must be 3 octets', { length: input.tar.length });
  if (input.counter < 0n || input.counter > MAX_COUNTER) throw new OtaError('INVALID_ARGUMENT', 'counter out of range');
  const data = Buffer.from(input.data ?? []);
  const n = checkLength(input.check);
  const pad = paddingFor(input.cipher, 5 + 1 + 1 + n + data.length);
  const rhl = RHL_FIXED + n;
  const rpl = 1 + rhl + data.length + pad;
  if (2 + rpl > OTA_MAX_PACKET_OCTETS) throw new OtaError('TOO_LARGE', 'response packet too large', { length: 2 + rpl });

  const head = Buffer.concat([Buffer.from([rpl >> 8, rpl & 0xff, rhl]), input.tar]);
  const fixed = Buffer.concat([uintBE(input.counter, 5), Buffer.from([pad, porStatusCode(input.status)])]);
  const padded = Buffer.concat([data, Buffer.alloc(pad)]);
  const check = input.check === undefined ? Buffer.alloc(0) : await computeCheck(crypto, input.check, Buffer.concat([POR_UDH, head, fixed, padded]));
  const tail = Buffer.concat([fixed, check, padded]);
  const secured = input.cipher === undefined ? tail : await runCipher(crypto, input.cipher, 'encrypt', tail);
  const packet = Buffer.concat([head, secured]);
  return { packet, userData: packetToUserData(IEI_RESPONSE_PACKET, packet, input.concatRef) };
}

/** What the platform expects of the PoR to a command it sent. */
export interface PorExpectation {
  readonly sim: string;
  /** The SPI, KIc, KID, TAR and CNTR of the command packet. */
  readonly spi: Spi;
  readonly kic: Kic;
  readonly kid: Kid;
  readonly tar: Uint8Array;
  readonly counter: bigint;
}

export interface ProofOfReceipt {
  readonly status: PorStatusName;
  readonly statusCode: PorStatusCode;
  /**
   * True when the PoR carried the security the SPI asked for (and it verified). False for an unsecured error
   * PoR, which anyone on the path could have forged: report it, never act on it as the SIM's word.
   */
  readonly secured: boolean;
  readonly tar: Buffer;
  readonly counter: bigint;
  readonly data: Buffer;
}

let defaultLog: Logger | undefined;
function otaLog(log: Logger | undefined): Logger {
  if (log !== undefined) return log;
  defaultLog ??= createLogger({ name: 'channel.ota' });
  return defaultLog;
}

/** Platform side: reassembles and checks a PoR. Throws only OtaError (after logging one line). */
export async function openResponse(userData: readonly Uint8Array[], expect: PorExpectation, crypto: OtaCrypto, log?: Logger): Promise<ProofOfReceipt> {
  try {
    return await parse(userDataToPacket(IEI_RESPONSE_PACKET, userData), expect, crypto);
  } catch (err) {
    throw logged(err, expect, log);
  }
}

/** Platform side: checks one PoR (RPL onwards). Throws only OtaError (after logging one line). */
export async function parseResponsePacket(packet: Uint8Array, expect: PorExpectation, crypto: OtaCrypto, log?: Logger): Promise<ProofOfReceipt> {
  try {
    return await parse(packet, expect, crypto);
  } catch (err) {
    throw logged(err, expect, log);
  }
}

function logged(err: unknown, expect: PorExpectation, log: Logger | undefined): unknown {
  if (!isOtaError(err)) return err;
  otaLog(log).warn({ event: 'ota.por.refused', sim: expect.sim, tar: hex(expect.tar), code: err.code, reason: err.message, ...err.detail }, 'OTA response packet refused');
  return err;
}

async function parse(packet: Uint8Array, expect: PorExpectation, crypto: OtaCrypto): Promise<ProofOfReceipt> {
  if (packet.length > OTA_MAX_PACKET_OCTETS) throw new OtaError('TOO_LARGE', 'response packet too large', { length: packet.length });
  const r = new ByteReader(packet, 'response packet');
  const rpl = r.u16('RPL');
  if (rpl !== packet.length - 2) throw new OtaError('MALFORMED', 'RPL does not match the packet length', { rpl, length: packet.length });
  const rhl = r.u8('RHL');
  if (rhl < RHL_FIXED) throw new OtaError('MALFORMED', 'RHL shorter than the fixed header', { rhl });
  const tar = r.take(3, 'TAR');
  if (!tar.equals(Buffer.from(expect.tar))) throw new OtaError('POR_MISMATCH', 'PoR TAR differs from the command', { tar: hex(tar) });
  const body = r.rest();
  const n = rhl - RHL_FIXED;
  const sec = resolveSecurity(expect.sim, expect.spi, encodeKic(expect.kic), encodeKid(expect.kid));
  const cipher = sec.porCipher;
  const check = sec.porCheck;

  // Our SIM side (and TS 102 225 for '06') answers a command that failed its security checks with an
  // unsecured PoR: RHL 10 and exactly CNTR, PCNTR, status in clear. Seven octets are never a whole number of
  // cipher blocks, so the two forms cannot be confused.
  if ((cipher !== undefined || check !== undefined) && n === 0 && body.length === 7) {
    const status = statusOf(body[6] ?? 0xff);
    if (POR_STATUS[status].securedPor) throw new OtaError('POR_MISMATCH', 'PoR lacks the security the SPI asked for', { status: POR_STATUS[status].name });
    if ((body[5] ?? 0) !== 0) throw new OtaError('MALFORMED', 'unsecured PoR with padding', { pcntr: body[5] ?? 0 });
    return { status: POR_STATUS[status].name, statusCode: status, secured: false, tar, counter: readUintBE(body.subarray(0, 5)), data: Buffer.alloc(0) };
  }
  if (n !== checkLength(check)) throw new OtaError('MALFORMED', 'RHL does not fit the RC/CC the SPI asked for', { rhl });

  let plain = body;
  if (cipher !== undefined) {
    const bs = blockSize(cipher);
    if (body.length === 0 || body.length % bs !== 0) throw new OtaError('CIPHERING_ERROR', 'ciphered part is not a whole number of blocks', { length: body.length });
    plain = await runCipher(crypto, cipher, 'decrypt', body);
  }
  if (plain.length < 7 + n) throw new OtaError(cipher === undefined ? 'MALFORMED' : 'CIPHERING_ERROR', 'PoR shorter than its header', { length: plain.length });
  const fixed = plain.subarray(0, 7);
  const received = plain.subarray(7, 7 + n);
  const padded = plain.subarray(7 + n);
  if (check !== undefined) {
    const expected = await computeCheck(crypto, check, Buffer.concat([POR_UDH, packet.subarray(0, 6), fixed, padded]));
    if (!sameBytes(expected, received)) throw new OtaError('CHECKSUM_FAILED', 'PoR RC/CC does not verify', { kind: check.kind });
  }
  const pcntr = fixed[5] ?? 0;
  if (cipher !== undefined ? pcntr >= blockSize(cipher) || pcntr > padded.length : pcntr !== 0) {
    throw new OtaError(cipher === undefined ? 'MALFORMED' : 'CIPHERING_ERROR', 'PCNTR inconsistent with the PoR data', { pcntr });
  }
  const status = statusOf(fixed[6] ?? 0xff);
  const counter = readUintBE(fixed.subarray(0, 5));
  // A secured PoR must answer this very command: its CNTR binds it, so an old PoR cannot be replayed.
  if ((cipher !== undefined || check?.kind === 'cc') && counter !== expect.counter) {
    throw new OtaError('POR_MISMATCH', 'PoR counter differs from the command', { counter: counter.toString() });
  }
  const data = Buffer.from(padded.subarray(0, padded.length - pcntr));
  return { status: POR_STATUS[status].name, statusCode: status, secured: cipher !== undefined || check !== undefined, tar, counter, data };
}

function statusOf(byte: number): PorStatusCode {
  if (!isPorStatusCode(byte)) throw new OtaError('MALFORMED', 'PoR status code is reserved', { status: byte });
  return byte;
}

/** How the SIM sends its PoR: TS 31.115 §5 (SPI2 b6) and the '0B' rule of §7. */
export interface PorMessage {
  readonly transport: PorTransport;
  /** TP-UD for the transport named (one SM for an SMS-DELIVER-REPORT). */
  readonly userData: Buffer[];
  /** When the full PoR does not fit a DELIVER-REPORT: it answers '0B' and the full PoR goes in SMS-SUBMIT SMs. */
  readonly submit?: Buffer[];
}

export interface AnswerOptions {
  /** The application's response data for a command that was accepted. */
  readonly data?: Uint8Array;
  /** 'more-time' when the application answers later (TS 102 225 status '08'). */
  readonly status?: 'por-ok' | 'more-time';
  readonly concatRef?: number;
  readonly log?: Logger;
}

/**
 * SIM side: the PoR for an outcome of openCommandPacket, as the SPI asks (none, always, only on error),
 * secured only when the command passed its security checks and the status is one status.ts marks
 * `securedPor` (status.ts explains why). Undefined: no PoR.
 */
export async function answerCommand(outcome: CommandOutcome, crypto: OtaCrypto, options: AnswerOptions = {}): Promise<PorMessage | undefined> {
  const header = outcome.header;
  if (header === undefined) return undefined;
  const spi = header.spi;
  if (spi.por === 'none' || (spi.por === 'on-error' && outcome.ok)) return undefined;
  const status: PorStatusName = outcome.ok ? (options.status ?? 'por-ok') : outcome.status;
  const secured = outcome.authenticated && outcome.security !== undefined && POR_STATUS[porStatusCode(status)].securedPor;
  const base = {
    tar: header.tar,
    counter: outcome.counter ?? 0n,
    cipher: secured ? outcome.security?.porCipher : undefined,
    check: secured ? outcome.security?.porCheck : undefined,
    concatRef: options.concatRef,
  };
  let full: BuiltResponsePacket;
  let short: BuiltResponsePacket | undefined;
  try {
    full = await buildResponsePacket({ ...base, status, data: outcome.ok ? options.data : undefined }, crypto);
    if (spi.porTransport === 'sms-deliver-report' && full.userData.length > 1) short = await buildResponsePacket({ ...base, status: 'response-via-sms-submit' }, crypto);
  } catch (err) {
    // The PoR cannot be built as asked (key gone since the command was opened: '06'; data beyond the packet
    // bound: '07'): answer that status unsecured, as TS 102 225 does for a header the SIM cannot honour.
    // The SIM never throws at its sender.
    if (!isOtaError(err)) throw err;
    otaLog(options.log).warn({ event: 'ota.por.degraded', tar: hex(header.tar), code: err.code, reason: err.message, ...err.detail }, 'OTA PoR sent unsecured');
    const fallbackStatus = POR_STATUS[porStatusCode(err.porStatus)].securedPor ? 'unidentified-security-error' : err.porStatus;
    const fallback = await buildResponsePacket({ tar: header.tar, counter: base.counter, status: fallbackStatus }, crypto);
    return { transport: spi.porTransport, userData: fallback.userData };
  }
  if (short === undefined) return { transport: spi.porTransport, userData: full.userData };
  return { transport: 'sms-deliver-report', userData: short.userData, submit: full.userData };
}
