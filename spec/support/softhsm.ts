import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runInThisContext } from 'node:vm';
import { createSoftHsmEnvironment, ensureToken, type SoftHsmEnvironment, type TokenSpec } from '../../hsm-sim/softhsm';

export interface ThrowAwayToken extends TokenSpec {
  readonly env: SoftHsmEnvironment;
}

/**
 * Jest gives each test file its own copy of process.env, so an assignment there never reaches native code:
 * SoftHSM2 reads SOFTHSM2_CONF with getenv() in C_Initialize. The worker's real `process` is the global of
 * the main context, which vm.runInThisContext evaluates in; setting the variable there calls setenv().
 */
export function exportToNativeEnvironment(name: string, value: string): void {
  const realProcess = runInThisContext('process') as NodeJS.Process;
  realProcess.env[name] = value;
  process.env[name] = value;
}

/** A fresh SoftHSM2 environment with one initialised token, made the way hsm-sim makes them. */
export function makeThrowAwayToken(label = 'test', userPin = '1234', soPin = '5678'): ThrowAwayToken {
  const base = process.env.MSSP_TEST_SCRATCH ?? tmpdir();
  const dir = mkdtempSync(join(base, 'hsm-'));
  const env = createSoftHsmEnvironment(dir);
  ensureToken(env, { label, soPin, userPin });
  exportToNativeEnvironment('SOFTHSM2_CONF', env.confPath);
  return { env, label, soPin, userPin };
}
