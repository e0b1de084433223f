import { join } from 'node:path';
import type { CardTokenDirectory } from '../../src/hsm';
import { SimCard } from './sim-card';
import { tokenLabels, type SimRecord } from './sim-set';
import { SimStateFile } from './sim-state';

/** The SIM card of one record of a SIM set in `dir`: its two tokens and its state file. */
export function openSimCard(dir: string, tokens: CardTokenDirectory, record: SimRecord): SimCard {
  const labels = tokenLabels(record.iccid);
  return new SimCard({
    iccid: record.iccid,
    msisdn: record.msisdn,
    authToken: tokens.openToken(labels.auth),
    signToken: tokens.openToken(labels.sign),
    state: SimStateFile.inDirectory(join(dir, 'state'), record.iccid),
    tar: Buffer.from(record.tar, 'hex'),
  });
}
