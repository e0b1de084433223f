import { createLogger, type Logger } from '../../log';
import { ByteReader, hex, readUintBE, sameBytes, uintBE } from './bytes';
import type { OtaCrypto } from './crypto';
import { OtaError, isOtaError } from './errors';
import {
  blockSize,
  checkLength,
  computeCheck,
  paddingFor,
  resolveSecurity,
  runCipher,
  type PacketSecurity,
} from './security';
import { IEI_COMMAND_PACKET, OTA_MAX_PACKET_OCTETS, packetToUserData, userDataToPacket } from './sms';
import { decodeSpi, encodeKic, encodeKid, encodeSpi, meetsMinimumSecurity, type Kic, type Kid, type MinimumSecurityLevel, type Spi } from './spi';
import type { PorStatusName } from './status';

/**
 * Command packets for SMS-PP (ETSI TS 102 225 §5.1, 3GPP TS 31.115 §4.2):
 *
 *   CPL(2) CHL(1) SPI(2) KIc(1) KID(1) TAR(3) | CNTR(5) PCNTR(1) RC/CC/DS(n) secured data [padding]
 *                                             |<-------------- ciphered when SPI b3 = 1 -------------->|
 *   CPL counts the octets after itself; CHL those from SPI to the end of RC/CC/DS (13 + n).
 *   Ciphering: CBC with a zero IV; the plaintext from CNTR on is padded with '00' to the block size and
 *   PCNTR counts the padding octets (0 when not ciphered: a CC over unaligned data pads only inside the MAC).
 *   RC/CC covers CPL, CHL, SPI, KIc, KID, TAR, CNTR, PCNTR and the secured data with its padding, all in
 *   plaintext. In SMS-PP the CPL and CHL are included (TS 31.115 §4.2: they bring the part before the CC to
 *   16 octets, a block multiple) but the UDHL/IEI '70'/IEIDL are not; the PoR differs (response-packet.ts).
 *   Checked against osmocom pySim's packets and the sysmoISIM-SJA5 cards that accepted them
 *   (fixtures/ota/secured-packet-vectors.json).
 */

/** CNTR is five octets. */
export const MAX_COUNTER = (1n << 40n) - 1n;
/** Everything of CHL but the RC/CC/DS: SPI 2, KIc 1, KID 1, TAR 3, CNTR 5, PCNTR 1. */
const CHL_FIXED = 13;

export interface CommandPacketInput {
  /** Names the SIM to the key provider (OtaKeyRef.sim). */
  readonly sim: string;
  readonly spi: Spi;
  readonly kic: Kic;
  readonly kid: Kid;
  /** Toolkit Application Reference of the receiving application, 3 octets. */
  readonly tar: Uint8Array;
  /** CNTR, 0 to 2^40-1. The caller owns counter state: one higher than the last one sent to this SIM. */
  readonly counter: bigint;
  /** The secured data for the application. */
  readonly payload: Uint8Array;
  /** 8-bit reference for concatenated SMs when the packet needs more than one. */
  readonly concatRef?: number;
}

export interface BuiltCommandPacket {
  /** CPL onwards. */
  readonly packet: Buffer;
  /** TP-UD of each SM, UDH included (TP-UDHI set). */
  readonly userData: Buffer[];
}

export interface CommandHeader {
  readonly spi: Spi;
  readonly kic: number;
  readonly kid: number;
  readonly tar: Buffer;
}

function checkTar(tar: Uint8Array): Buffer {
  if (tar.length !== 3) throw new OtaError('INVALID_ARGUMENT', 'TAR must be 3 octets', { length: tar.length });
  return Buffer.from(tar);
}

export async function buildCommandPacket(input: CommandPacketInput, crypto: OtaCrypto): Promise<BuiltCommandPacket> {
  const tar = checkTar(input.tar);
  if (input.counter < 0n || input.counter > MAX_COUNTER) throw new OtaError('INVALID_ARGUMENT', 'counter out of range');
  if (input.payload.length > OTA_MAX_PACKET_OCTETS) throw new OtaError('TOO_LARGE', 'payload too large', { length: input.payload.length });
  const kicByte = encodeKic(input.kic);
  const kidByte = encodeKid(input.kid);
  const sec = resolveSecurity(input.sim, input.spi, kicByte, kidByte);
  const n = checkLength(sec.check);
  const pad = paddingFor(sec.cipher, 5 + 1 + n + input.payload.length);
  const chl = CHL_FIXED + n;
  const cpl = 1 + chl + input.payload.length + pad;
  if (2 + cpl > OTA_MAX_PACKET_OCTETS) throw new OtaError('TOO_LARGE', 'command packet too large', { length: 2 + cpl });

  const head = Buffer.concat([Buffer.from([cpl >> 8, cpl & 0xff, chl]), encodeSpi(input.spi), Buffer.from([kicByte, kidByte]), tar]);
  const counterPart = Buffer.concat([uintBE(input.counter, 5), Buffer.from([pad])]);
  const data = Buffer.concat([input.payload, Buffer.alloc(pad)]);
  const check = sec.check === undefined ? Buffer.alloc(0) : await computeCheck(crypto, sec.check, Buffer.concat([head, counterPart, data]));
  const tail = Buffer.concat([counterPart, check, data]);
  const secured = sec.cipher === undefined ? tail : await runCipher(crypto, sec.cipher, 'encrypt', tail);
  const packet = Buffer.concat([head, secured]);
  return { packet, userData: packetToUserData(IEI_COMMAND_PACKET, packet, input.concatRef) };
}

/** What the receiving application (the SIM) knows about one TAR. */
export interface SimTarProfile {
  readonly minimumSecurity: MinimumSecurityLevel;
  /** The last counter the SIM accepted for this TAR (0 before the first). */
  readonly counter: bigint;
  /** Counter mode 'higher' only: a counter more than this above the stored one is refused as CNTR high. */
  readonly maxCounterStep?: bigint;
}

export interface SimOtaContext {
  readonly sim: string;
  readonly crypto: OtaCrypto;
  /** The SIM's applications by TAR. Its own failures (a broken store) propagate: they are not about the bytes. */
  lookupTar(tar: Buffer): SimTarProfile | undefined | Promise<SimTarProfile | undefined>;
  /** Where refusals are logged (one warn line each); a default 'channel.ota' logger when absent. */
  readonly log?: Logger;
}

export type CommandOutcome =
  | {
      readonly ok: true;
      readonly status: 'por-ok';
      readonly header: CommandHeader;
      readonly counter: bigint;
      /** The counter the SIM must store for this TAR before acting on the payload; undefined: keep the old one. */
      readonly counterToStore: bigint | undefined;
      readonly payload: Buffer;
      readonly security: PacketSecurity;
      readonly authenticated: true;
    }
  | {
      readonly ok: false;
      readonly status: PorStatusName;
      readonly error: OtaError;
      /** Undefined when the bytes do not even give a TAR and SPI: no PoR can be sent. */
      readonly header: CommandHeader | undefined;
      readonly counter: bigint | undefined;
      readonly security: PacketSecurity | undefined;
      /**
       * Whether the command passed the security checks its SPI asked for (the PoR may then be secured). With an
       * SPI without CC, allowed by a lax minimum security level, that is no authentication at all.
       */
      readonly authenticated: boolean;
    };

let defaultLog: Logger | undefined;
function otaLog(ctx: { readonly log?: Logger }): Logger {
  if (ctx.log !== undefined) return ctx.log;
  defaultLog ??= createLogger({ name: 'channel.ota' });
  return defaultLog;
}

/** Mutable progress of one parse, so a failure knows how far the packet got. */
interface Progress {
  header?: CommandHeader;
  counter?: bigint;
  security?: PacketSecurity;
  authenticated: boolean;
}

/**
 * SIM side: reassembles the SMs of a command packet and opens it. Never throws for any bytes: the outcome
 * is the payload, or the PoR status to answer with (and a log line).
 */
export async function receiveCommand(userData: readonly Uint8Array[], ctx: SimOtaContext): Promise<CommandOutcome> {
  let packet: Buffer;
  try {
    packet = userDataToPacket(IEI_COMMAND_PACKET, userData);
  } catch (err) {
    return refuse(ctx, err, { authenticated: false });
  }
  return openCommandPacket(packet, ctx);
}

/** SIM side: checks and opens one command packet (CPL onwards). Never throws for any bytes. */
export async function openCommandPacket(packet: Uint8Array, ctx: SimOtaContext): Promise<CommandOutcome> {
  const progress: Progress = { authenticated: false };
  try {
    return await open(packet, ctx, progress);
  } catch (err) {
    return refuse(ctx, err, progress);
  }
}

function refuse(ctx: SimOtaContext, err: unknown, progress: Progress): CommandOutcome {
  // Only the key provider and lookupTar are foreign code; their failures were typed by security.ts or propagate.
  if (!isOtaError(err)) throw err;
  otaLog(ctx).warn(
    {
      event: 'ota.command.refused',
      sim: ctx.sim,
      tar: progress.header === undefined ? undefined : hex(progress.header.tar),
      status: err.porStatus,
      code: err.code,
      reason: err.message,
      ...err.detail,
    },
    'OTA command packet refused',
  );
  return {
    ok: false,
    status: err.porStatus,
    error: err,
    header: progress.header,
    counter: progress.counter,
    security: progress.security,
    authenticated: progress.authenticated,
  };
}

async function open(packet: Uint8Array, ctx: SimOtaContext, progress: Progress): Promise<CommandOutcome> {
  if (packet.length > OTA_MAX_PACKET_OCTETS) throw new OtaError('TOO_LARGE', 'command packet too large', { length: packet.length });
  const r = new ByteReader(packet, 'command packet');
  const cpl = r.u16('CPL');
  if (cpl !== packet.length - 2) throw new OtaError('MALFORMED', 'CPL does not match the packet length', { cpl, length: packet.length });
  const chl = r.u8('CHL');
  const spi1 = r.u8('SPI');
  const spi2 = r.u8('SPI');
  const kic = r.u8('KIc');
  const kid = r.u8('KID');
  const tar = r.take(3, 'TAR');
  const spi = decodeSpi(spi1, spi2);
  const header: CommandHeader = { spi, kic, kid, tar };
  progress.header = header;
  if (chl < CHL_FIXED) throw new OtaError('MALFORMED', 'CHL shorter than the fixed header', { chl });
  const n = chl - CHL_FIXED;
  const body = r.rest();
  // An unciphered packet shows its counter in clear: an unsecured PoR may echo it.
  if (!spi.ciphered && body.length >= 5) progress.counter = readUintBE(body.subarray(0, 5));

  const profile = await ctx.lookupTar(tar);
  if (profile === undefined) throw new OtaError('TAR_UNKNOWN', 'no application for this TAR');
  if (!meetsMinimumSecurity(spi, profile.minimumSecurity)) {
    throw new OtaError('INSUFFICIENT_SECURITY', "SPI below the application's minimum security level", { checksum: spi.checksum, ciphered: spi.ciphered, counter: spi.counter });
  }
  const sec = resolveSecurity(ctx.sim, spi, kic, kid, n);
  progress.security = sec;

  let plain = body;
  if (sec.cipher !== undefined) {
    const bs = blockSize(sec.cipher);
    if (body.length === 0 || body.length % bs !== 0) throw new OtaError('CIPHERING_ERROR', 'ciphered part is not a whole number of blocks', { length: body.length, blockSize: bs });
    plain = await runCipher(ctx.crypto, sec.cipher, 'decrypt', body);
  }
  if (plain.length < 6 + n) {
    throw new OtaError(sec.cipher === undefined ? 'MALFORMED' : 'CIPHERING_ERROR', 'secured part shorter than CNTR, PCNTR and RC/CC/DS', { length: plain.length, chl });
  }
  const counterPart = plain.subarray(0, 6);
  const received = plain.subarray(6, 6 + n);
  const data = plain.subarray(6 + n);

  // The checksum comes before anything that depends on deciphered header values (PCNTR, CNTR), so that a
  // forged packet learns nothing but "checksum failed" whatever it decrypts to (no padding oracle).
  if (sec.check !== undefined) {
    const expected = await computeCheck(ctx.crypto, sec.check, Buffer.concat([packet.subarray(0, 10), counterPart, data]));
    if (!sameBytes(expected, received)) throw new OtaError('CHECKSUM_FAILED', 'RC/CC does not verify', { kind: sec.check.kind });
  }
  progress.authenticated = true;
  const counter = readUintBE(counterPart.subarray(0, 5));
  progress.counter = counter;
  await probePorKeys(ctx, sec);

  const pcntr = counterPart[5] ?? 0;
  if (sec.cipher !== undefined) {
    if (pcntr >= blockSize(sec.cipher) || pcntr > data.length) throw new OtaError('CIPHERING_ERROR', 'PCNTR inconsistent with the ciphered data', { pcntr });
  } else if (pcntr !== 0) {
    throw new OtaError('MALFORMED', 'PCNTR set although the packet is not ciphered', { pcntr });
  }
  const payload = Buffer.from(data.subarray(0, data.length - pcntr));
  const counterToStore = checkCounter(spi.counter, counter, profile);
  otaLog(ctx).debug({ event: 'ota.command.accepted', sim: ctx.sim, tar: hex(tar), counter: counter.toString(), length: payload.length }, 'OTA command packet accepted');
  return { ok: true, status: 'por-ok', header, counter, counterToStore, payload, security: sec, authenticated: true };
}

/**
 * A PoR may ask for a key the command itself did not use (a ciphered PoR to an unciphered command, a CC on
 * the PoR of an RC command). A UICC looks up every key the header names before processing; we do the same
 * by using each such key once, so a header naming a key the SIM cannot use is refused ('06') up front rather
 * than after the application has acted on the payload. Found by the fuzz target.
 */
async function probePorKeys(ctx: SimOtaContext, sec: PacketSecurity): Promise<void> {
  if (sec.porCipher !== undefined && sec.cipher === undefined) {
    await runCipher(ctx.crypto, sec.porCipher, 'encrypt', Buffer.alloc(blockSize(sec.porCipher)));
  }
  if (sec.porCheck?.kind === 'cc' && sec.check?.kind !== 'cc') await computeCheck(ctx.crypto, sec.porCheck, Buffer.alloc(0));
}

/**
 * Counter rules of TS 102 225 §5.1.1 (SPI b5b4) and §5.2. Returns the value to store, or undefined when the
 * mode keeps the stored counter ('no counter', and 'counter available, no replay or sequence checking',
 * which we read as: the field is informative and the SIM's state does not move).
 */
export function checkCounter(mode: Spi['counter'], received: bigint, profile: SimTarProfile): bigint | undefined {
  if (mode === 'none' || mode === 'no-check') return undefined;
  const stored = profile.counter;
  if (stored >= MAX_COUNTER) throw new OtaError('COUNTER_BLOCKED', 'counter has reached its maximum value');
  if (received <= stored) throw new OtaError('COUNTER_LOW', 'counter not higher than the stored one', { received: received.toString(), stored: stored.toString() });
  if (mode === 'one-higher' && received !== stored + 1n) {
    throw new OtaError('COUNTER_HIGH', 'counter more than one higher than the stored one', { received: received.toString(), stored: stored.toString() });
  }
  if (mode === 'higher' && profile.maxCounterStep !== undefined && received - stored > profile.maxCounterStep) {
    throw new OtaError('COUNTER_HIGH', 'counter beyond the accepted window', { received: received.toString(), stored: stored.toString() });
  }
  return received;
}
