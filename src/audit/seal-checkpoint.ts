import { checkOrigin, checkpointImprint, formatNoteBody, type Checkpoint } from './checkpoint';
import { AuditError } from './errors';
import type { Hash } from './merkle';
import type { CheckpointSigner } from './signer';
import { timeStampImprintProblem, type TimeStamper } from './timestamp';

/**
 * Turns a tree head into a signed, time-stamped checkpoint. No store here: AuditLog decides which head to seal
 * and stores the result; tests seal in-memory logs with the same code.
 */

export interface SealCheckpointInput {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Hash;
  readonly previous?: Pick<Checkpoint, 'treeSize' | 'time'>;
  /** Time of the last entry covered: a checkpoint is never older than what it covers. */
  readonly lastEntryTime?: Date;
  readonly now: Date;
}

export interface SealCheckpointServices {
  readonly signer: CheckpointSigner;
  readonly timeStamper?: TimeStamper;
  /** Refuse to seal without a time-stamp token (otherwise the checkpoint is stored unstamped, and reported so). */
  readonly requireTimeStamps?: boolean;
  /** Told when the TSA failed and the checkpoint goes on without a token. */
  readonly onTimeStampFailure?: (err: unknown) => void;
}

function latest(...times: (Date | undefined)[]): Date {
  let ms = Number.NEGATIVE_INFINITY;
  for (const t of times) if (t !== undefined && t.getTime() > ms) ms = t.getTime();
  return new Date(ms);
}

async function stamp(body: string, services: SealCheckpointServices): Promise<Buffer | null> {
  const { timeStamper } = services;
  if (timeStamper === undefined) return null;
  const digest = checkpointImprint(body);
  try {
    const token = await timeStamper.stamp(digest, 'SHA-256');
    const problem = timeStampImprintProblem(token, digest);
    if (problem !== undefined) throw new AuditError('BAD_TIMESTAMP', `the TSA answered with ${problem}`);
    return token;
  } catch (err) {
    if (services.requireTimeStamps) {
      throw new AuditError('TIMESTAMP_FAILED', `the TSA gave no usable time-stamp: ${(err as Error).message}`, { cause: err });
    }
    services.onTimeStampFailure?.(err);
    return null;
  }
}

export async function sealCheckpoint(input: SealCheckpointInput, services: SealCheckpointServices): Promise<Checkpoint> {
  if (services.requireTimeStamps && services.timeStamper === undefined) {
    throw new AuditError('TIMESTAMP_FAILED', 'time-stamps on checkpoints are required but no TSA is configured');
  }
  const origin = checkOrigin(input.origin);
  // Times only move forward, whatever this node's clock says, so checkpoints and entries stay in time order.
  const time = latest(input.now, input.previous?.time, input.lastEntryTime);
  const fields = { origin, treeSize: input.treeSize, rootHash: Buffer.from(input.rootHash), time, previousSize: input.previous?.treeSize ?? 0 };
  const body = formatNoteBody(fields);
  const signature = await services.signer.sign(Buffer.from(body, 'utf8'));
  const timeStampToken = await stamp(body, services);
  return { ...fields, body, signature, keyId: services.signer.keyId, publicKey: services.signer.publicKey, timeStampToken };
}
