import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createSoftHsmEnvironment, ensureToken, type SoftHsmEnvironment, type TokenSpec } from '../../hsm-sim/softhsm';

export interface ThrowAwayToken extends TokenSpec {
  readonly env: SoftHsmEnvironment;
}

/** A fresh SoftHSM2 environment with one initialised token, made the way hsm-sim makes them. */
export function makeThrowAwayToken(label = 'test', userPin = '1234', soPin = '5678'): ThrowAwayToken {
  const base = process.env.MSSP_TEST_SCRATCH ?? tmpdir();
  const dir = mkdtempSync(join(base, 'hsm-'));
  const env = createSoftHsmEnvironment(dir);
  ensureToken(env, { label, soPin, userPin });
  process.env.SOFTHSM2_CONF = env.confPath;
  return { env, label, soPin, userPin };
}
