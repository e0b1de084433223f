import { EventEmitter } from 'node:events';
import { decodeRequest, encodeResponse, type AppletResponse, type SigningRequest } from '../../../src/channel/applet';
import {
  IEI_RESPONSE_PACKET,
  answerCommand,
  openCommandPacket,
  softwareOtaCrypto,
  userDataToPacket,
  type OtaCrypto,
} from '../../../src/channel/ota';
import { newTransactionRef, type SimProfile } from '../../../src/channel/sim';
import type { InboundMessage, OutboundMessage, SubmitResult } from '../../../src/channel/smpp';
import { silent } from '../smpp/support';

/**
 * One SIM running the real OTA codec in memory behind a fake SMS transport, for narrow unit tests of AppletChannel
 * (the path over TCP with SIMs in SoftHSM2 tokens is spec/hsm-sim/handset/e2e.spec.ts).
 */
export const PROFILE: SimProfile = { msisdn: '35840000001', sim: '8935840000000000001', tar: Buffer.from('b00010', 'hex'), kic: { algorithm: 'AES-CBC', keyVersion: 1 }, kid: { algorithm: 'AES-CMAC', keyVersion: 1 } };
export const KEYS = softwareOtaCrypto([
  { ref: { sim: PROFILE.sim, key: 'KIc', version: 1 }, secret: Buffer.alloc(16, 1) },
  { ref: { sim: PROFILE.sim, key: 'KID', version: 1 }, secret: Buffer.alloc(16, 2) },
]);

export type Answer = (request: ReturnType<typeof decodeRequest>) => AppletResponse | undefined;

/** The network and a SIM: opens each command packet, answers with a PoR as MO after `delayMs`. */
export class FakeNetwork extends EventEmitter {
  readonly submitted: OutboundMessage[] = [];
  counter = 0n;
  delayMs = 0;
  refuseSubmit = false;
  answer: Answer = (req) => ({ transactionRef: req.transactionRef, outcome: 'signed', signature: { format: 'raw', value: Buffer.from([1, 2, 3]) }, certificateRef: Buffer.alloc(32, 9) });
  /** PoRs held back (for the late-answer test). */
  readonly held: (() => void)[] = [];
  hold = false;

  constructor(private readonly simCrypto: OtaCrypto = KEYS) {
    super();
  }

  async submit(message: OutboundMessage): Promise<SubmitResult> {
    if (this.refuseSubmit) throw new Error('ESME_RSYSERR');
    this.submitted.push(message);
    const outcome = await openCommandPacket(message.payload, {
      sim: PROFILE.sim,
      crypto: this.simCrypto,
      log: silent(),
      lookupTar: (tar) => (tar.equals(Buffer.from(PROFILE.tar)) ? { minimumSecurity: { checksum: 'cc', ciphered: true, counter: 'higher' }, counter: this.counter } : undefined),
    });
    if (outcome.ok && outcome.counterToStore !== undefined) this.counter = outcome.counterToStore;
    const response = outcome.ok ? this.answer(decodeRequest(outcome.payload)) : undefined;
    const por = await answerCommand(outcome, this.simCrypto, response === undefined ? {} : { data: encodeResponse(response) });
    const send = (): void => {
      if (por === undefined) return;
      const inbound: InboundMessage = {
        sourceAddr: message.destinationAddr, sourceAddrTon: 0, sourceAddrNpi: 0, destinationAddr: message.sourceAddr, destAddrTon: 0, destAddrNpi: 0,
        dataCoding: 0xf6, esmClass: 0x40, protocolId: 0x7f, udh: [{ iei: IEI_RESPONSE_PACKET, data: Buffer.alloc(0) }],
        payload: userDataToPacket(IEI_RESPONSE_PACKET, por.submit ?? por.userData), segments: 1, bind: 'fake',
      };
      this.emit('message', inbound);
    };
    if (this.hold) this.held.push(send);
    else setTimeout(send, this.delayMs);
    return { id: message.id ?? 'x', messageIds: ['1'], segments: 1 };
  }
}

export function request(text = 'Sign?'): SigningRequest {
  return { transactionRef: newTransactionRef(), operation: 'sign', displayText: text, toBeSigned: { kind: 'data', data: Buffer.from('d') }, keyReference: 'signing', algorithm: 'ecdsa-p256-sha256', signatureFormat: 'raw' };
}
