import { join } from 'node:path';
import type { CardTokenDirectory } from '../../src/hsm';
import type { Logger } from '../../src/log';
import { InMemoryHandsetDirectory } from '../smsc/handsets';
import { SignatureApplet } from './applet';
import { VirtualHandset } from './handset';
import { SimCard, type PinCheck } from './sim-card';
import { tokenLabels, type SimRecord } from './sim-set';
import { SimStateFile } from './sim-state';
import type { ScreenRecord, UserBehaviour } from './user';

/**
 * Many handsets in one process: one SimCard (two tokens, a state file) and one VirtualHandset per record,
 * registered in a HandsetDirectory the SMSC simulator routes to.
 */
export interface FarmOptions {
  readonly dir: string;
  readonly tokens: CardTokenDirectory;
  readonly records: readonly SimRecord[];
  /** The scripted person behind each MSISDN; may change between requests (read per request). */
  behaviour(msisdn: string): UserBehaviour;
  /** How long an applet waits for its user before answering 'timeout'. Default 60 s. */
  readonly userTimeoutMs?: number;
  readonly pinCheck?: PinCheck;
  readonly logger?: Logger;
  readonly screen?: (msisdn: string, record: ScreenRecord) => void;
  /** Register the handsets here (e.g. the directory an SMSC simulator already routes to); a new one otherwise. */
  readonly directory?: InMemoryHandsetDirectory;
}

export class HandsetFarm {
  readonly handsets = new Map<string, VirtualHandset>();
  readonly cards = new Map<string, SimCard>();

  private constructor(readonly directory: InMemoryHandsetDirectory) {}

  static open(options: FarmOptions): HandsetFarm {
    const farm = new HandsetFarm(options.directory ?? new InMemoryHandsetDirectory());
    const stateDir = join(options.dir, 'state');
    for (const record of options.records) {
      const labels = tokenLabels(record.iccid);
      const card = new SimCard({
        iccid: record.iccid,
        msisdn: record.msisdn,
        authToken: options.tokens.openToken(labels.auth),
        signToken: options.tokens.openToken(labels.sign),
        state: SimStateFile.inDirectory(stateDir, record.iccid),
        tar: Buffer.from(record.tar, 'hex'),
        ...(options.pinCheck !== undefined ? { pinCheck: options.pinCheck } : {}),
        certificates: { auth: Buffer.from(record.certificates.auth, 'base64'), sign: Buffer.from(record.certificates.sign, 'base64') },
      });
      const applet = new SignatureApplet({
        card,
        pins: record.pins,
        behaviour: () => options.behaviour(record.msisdn),
        userTimeoutMs: options.userTimeoutMs ?? 60_000,
        otaKeyVersion: record.ota.version,
        ...(options.screen !== undefined ? { screen: (r: ScreenRecord) => options.screen?.(record.msisdn, r) } : {}),
        ...(options.logger !== undefined ? { logger: options.logger } : {}),
      });
      const handset = new VirtualHandset(record.msisdn, applet, options.logger);
      farm.cards.set(record.msisdn, card);
      farm.handsets.set(record.msisdn, handset);
      farm.directory.register(record.msisdn, handset);
    }
    return farm;
  }

  /** Closes every SIM's tokens (the handsets stop answering: their tokens are gone). */
  async close(): Promise<void> {
    await Promise.all([...this.cards.values()].map((c) => c.close()));
    for (const msisdn of this.handsets.keys()) this.directory.unregister(msisdn);
  }
}
