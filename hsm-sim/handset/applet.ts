import { randomInt, X509Certificate } from 'node:crypto';
import { createSignedData } from '../../src/pki/cms';
import {
  decodeRequest,
  encodeClientOrder,
  encodeResponse,
  type AppletRequest,
  type AppletResponse,
  type Outcome,
  type SignatureAlgorithm,
  type SigningRequest,
} from '../../src/channel/applet';
import { answerCommand, buildCommandPacket, receiveCommand, type CommandOutcome, type SimTarProfile } from '../../src/channel/ota';
import { ORDER_SPI } from '../../src/channel/sim';
import type { SignatureAlgorithmName } from '../../src/hsm';
import { createLogger, type Logger } from '../../src/log';
import type { SimCard } from './sim-card';
import type { PinName } from './sim-state';
import { sleep, wrongPinFor, type ScreenRecord, type UserBehaviour } from './user';

/**
 * The signature applet on a simulated SIM. For one command packet (its SMs' TP-UD):
 *   1. opens it (src/channel/ota): TAR, minimum security, checksum, counter. A refusal (wrong checksum,
 *      replayed counter, unknown TAR...) is answered with that PoR status and one log line;
 *   2. stores the new counter before anything else;
 *   3. decodes the request (applet/FORMAT.md), shows the text and verification code, asks the PIN of the key
 *      the request names, as the user's scripted behaviour answers;
 *   4. signs inside the key's token (raw PKCS#1 / ECDSA, or CMS SignedData through src/pki/cms);
 *   5. answers with the response in a secured PoR (SMS-SUBMIT), or nothing for a phone that is off.
 */

const HSM_ALGORITHM: Readonly<Record<SignatureAlgorithm, SignatureAlgorithmName>> = {
  'rsa-pkcs1-sha256': 'RS256',
  'rsa-pss-sha256': 'PS256',
  'ecdsa-p256-sha256': 'ES256',
  'ecdsa-p384-sha384': 'ES384',
};

/** AES-CBC, AES-CMAC and a higher counter at least, as ota/README.md recommends for our TARs. */
export const APPLET_MINIMUM_SECURITY = { checksum: 'cc', ciphered: true, counter: 'higher' } as const;

export interface AppletOptions {
  readonly card: SimCard;
  readonly pins: Readonly<Record<PinName, string>>;
  behaviour(): UserBehaviour;
  /** How long the applet waits for the user before answering 'timeout'. */
  readonly userTimeoutMs: number;
  readonly screen?: (record: ScreenRecord) => void;
  readonly logger?: Logger;
  /** Version of the SIM's KIc/KID, for the packets it sends unasked (client orders). Default 1. */
  readonly otaKeyVersion?: number;
}

/** A payment the client composed on the phone: the order's bytes (mps-order/1) and what the screen shows. */
export interface OrderToSign {
  readonly orderRef: string;
  readonly order: Uint8Array;
  readonly display: string;
  /** Misbehaviour for tests: sign these bytes instead of `order` (the packet still carries `order`). */
  readonly signInstead?: Uint8Array;
}

export type ComposedOrder =
  /** The TP-UD of each MO SM to send, and the MO counter the packet went with. */
  | { readonly outcome: 'ready'; readonly userData: Buffer[]; readonly counter: bigint }
  | { readonly outcome: Exclude<Outcome, 'signed' | 'displayed'> | 'off' };

/** The SIM's own counter for packets it sends, kept apart from the counters of the commands it receives. */
const moCounterKey = (tarHex: string): string => `mo:${tarHex}`;

function algorithmFor(certificate: Uint8Array): SignatureAlgorithm {
  const key = new X509Certificate(certificate).publicKey;
  if (key.asymmetricKeyType === 'rsa') return 'rsa-pkcs1-sha256';
  return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ecdsa-p384-sha384' : 'ecdsa-p256-sha256';
}

let defaultLog: Logger | undefined;

export class SignatureApplet {
  private readonly log: Logger;

  constructor(private readonly options: AppletOptions) {
    defaultLog ??= createLogger({ name: 'hsm-sim.applet' });
    this.log = options.logger ?? defaultLog;
  }

  /** The PoR SMs (TP-UD) to send back, or undefined for none. Never throws for any bytes. */
  async process(segments: readonly Uint8Array[]): Promise<Buffer[] | undefined> {
    const card = this.options.card;
    const tarHex = card.tar.toString('hex');
    const outcome = await receiveCommand(segments, {
      sim: card.iccid,
      crypto: card.ota,
      log: this.log,
      lookupTar: (tar): SimTarProfile | undefined =>
        tar.equals(card.tar) ? { minimumSecurity: APPLET_MINIMUM_SECURITY, counter: card.state.counter(tarHex) } : undefined,
    });
    if (!outcome.ok) return this.answer(outcome, undefined);
    if (outcome.counterToStore !== undefined) card.state.setCounter(tarHex, outcome.counterToStore);

    let request: AppletRequest;
    try {
      request = decodeRequest(outcome.payload);
    } catch (err) {
      this.log.warn({ event: 'applet.request.refused', sim: card.iccid, reason: err instanceof Error ? err.message : String(err) }, 'applet request refused');
      return this.answer(outcome, undefined);
    }
    const behaviour = this.options.behaviour();
    this.options.screen?.({
      operation: request.operation,
      text: request.displayText,
      ...(request.operation !== 'show-receipt' && request.verificationCode !== undefined ? { verificationCode: request.verificationCode } : {}),
      at: Date.now(),
    });
    if (behaviour.kind === 'off') return undefined;
    const response = await this.dialogue(request, behaviour);
    return this.answer(outcome, encodeResponse(response));
  }

  /**
   * A client order (applet/FORMAT.md, "Client order"): shows the order, asks the signing PIN as the user's
   * behaviour answers, signs the order's bytes as CMS with the signing key, and wraps order and signature in an
   * OTA command packet to the platform with the SIM's next MO counter (stored before the packet exists, so no
   * counter is ever sent twice). `behaviour` overrides the scripted person for this one order.
   */
  async composeOrder(order: OrderToSign, behaviour: UserBehaviour = this.options.behaviour()): Promise<ComposedOrder> {
    const card = this.options.card;
    this.options.screen?.({ operation: 'client-order', text: order.display, at: Date.now() });
    if (behaviour.kind === 'off') return { outcome: 'off' };
    const certificate = card.certificate('sign');
    if (certificate === undefined) return { outcome: 'no-key' };
    const request: SigningRequest = {
      transactionRef: Buffer.from(order.orderRef, 'ascii').subarray(0, 16),
      operation: 'payment-approval',
      displayText: order.display,
      keyReference: 'signing',
      algorithm: algorithmFor(certificate),
      signatureFormat: 'cms',
      toBeSigned: { kind: 'data', data: order.signInstead ?? order.order },
    };
    const answer = await this.dialogue(request, behaviour);
    if (answer.outcome !== 'signed') return { outcome: answer.outcome === 'displayed' ? 'no-key' : answer.outcome };
    const payload = encodeClientOrder({ orderRef: order.orderRef, order: order.order, signature: answer.signature.value, certificateRef: answer.certificateRef });
    const tarHex = card.tar.toString('hex');
    const counter = card.state.counter(moCounterKey(tarHex)) + 1n;
    card.state.setCounter(moCounterKey(tarHex), counter);
    const version = this.options.otaKeyVersion ?? 1;
    const built = await buildCommandPacket(
      {
        sim: card.iccid,
        spi: ORDER_SPI,
        kic: { algorithm: 'AES-CBC', keyVersion: version },
        kid: { algorithm: 'AES-CMAC', keyVersion: version },
        tar: card.tar,
        counter,
        payload,
        concatRef: randomInt(0, 256),
      },
      card.ota,
    );
    this.log.debug({ event: 'applet.order.sent', sim: card.iccid, order: order.orderRef, counter: counter.toString() }, 'client order signed');
    return { outcome: 'ready', userData: built.userData, counter };
  }

  private async answer(outcome: CommandOutcome, data: Buffer | undefined): Promise<Buffer[] | undefined> {
    const por = await answerCommand(outcome, this.options.card.ota, { ...(data === undefined ? {} : { data }), log: this.log });
    if (por === undefined) return undefined;
    return por.submit ?? por.userData;
  }

  private async dialogue(request: AppletRequest, behaviour: Exclude<UserBehaviour, { kind: 'off' }>): Promise<AppletResponse> {
    const ref = request.transactionRef;
    const reply = (outcome: Exclude<Outcome, 'signed'>): AppletResponse => ({ transactionRef: ref, outcome });
    if (behaviour.kind === 'ignore') {
      await sleep(this.options.userTimeoutMs);
      return reply('timeout');
    }
    const delay = behaviour.delayMs ?? 0;
    if (delay >= this.options.userTimeoutMs) {
      await sleep(this.options.userTimeoutMs);
      return reply('timeout');
    }
    await sleep(delay);
    if (behaviour.kind === 'cancel') return reply('user-cancelled');
    if (request.operation === 'show-receipt') return reply('displayed');
    return this.signWithPin(request, behaviour.kind === 'wrong-pin' ? behaviour.times : 0);
  }

  private async signWithPin(request: SigningRequest, wrongEntries: number): Promise<AppletResponse> {
    const card = this.options.card;
    const pinName: PinName = request.keyReference === 'authentication' ? 'auth' : 'sign';
    const ref = request.transactionRef;
    if (card.pinState(pinName).blocked) return { transactionRef: ref, outcome: 'pin-blocked' };
    const right = this.options.pins[pinName];
    for (let entry = 0; ; entry += 1) {
      const result = await card.verifyPin(pinName, entry < wrongEntries ? wrongPinFor(right) : right);
      if (result === 'blocked') {
        this.log.warn({ event: 'applet.pin.blocked', sim: card.iccid, pin: pinName }, 'PIN blocked after three wrong entries');
        return { transactionRef: ref, outcome: 'pin-blocked' };
      }
      if (result === 'ok') break;
    }
    const certificate = card.certificate(pinName);
    const certificateRef = card.certificateRef(pinName);
    if (certificate === undefined || certificateRef === undefined) return { transactionRef: ref, outcome: 'no-key' };
    const algorithm = HSM_ALGORITHM[request.algorithm];
    const tbs = request.toBeSigned;
    let value: Uint8Array;
    if (request.signatureFormat === 'cms') {
      if (tbs.kind !== 'data') return { transactionRef: ref, outcome: 'no-key' };
      // Detached, with the signer certificate: the relying party has the data; the platform finds the chain.
      value = await createSignedData({
        content: tbs.data,
        detached: true,
        certificates: 'signer',
        signer: { algorithm, certificate, sign: (data) => card.sign(pinName, algorithm, { kind: 'data', data }) },
      });
    } else {
      value = await card.sign(pinName, algorithm, tbs.kind === 'data' ? { kind: 'data', data: tbs.data } : { kind: 'digest', digest: tbs.digest });
    }
    return { transactionRef: ref, outcome: 'signed', signature: { format: request.signatureFormat, value }, certificateRef };
  }
}
