import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { LoadedConfig } from '../config';
import type { Hsm, HsmKey } from '../hsm';
import type { Store } from '../store';
import { table, type CliOutput } from './output';

/**
 * `mssp sim …`: the operator's side of SIM personalisation. The card personaliser encrypts each SIM's OTA keys
 * (KIc, KID) under the platform's transport key; `import` unwraps them inside the HSM (C_UnwrapKey: the key octets
 * are never in this process) under the labels the applet channel looks for, and binds them to the MSISDN and ICCID.
 * The file format is src/channel/sim/PERSONALISATION.md.
 */
export interface SimCommandContext {
  readonly config: () => LoadedConfig;
  readonly out: CliOutput;
}

/** Label of the RSA transport key pair in the platform token. */
export const SIM_TRANSPORT_KEY_LABEL = 'sim-transport';

/** SHA-256 of the transport public key's SPKI, hex: how a personalisation file names the key it was made for. */
export function transportKeyFingerprint(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex');
}

export interface SimImportReport {
  readonly imported: readonly string[];
  /** The same line imported before: nothing to do. */
  readonly unchanged: readonly string[];
  /** Line number (from 1) and why; nothing of that line was kept. */
  readonly refused: readonly { readonly line: number; readonly reason: string }[];
}

/**
 * Imports every line of a personalisation file. Each line is all or nothing: both keys are unwrapped into the
 * token and the profile is stored, or whatever was made is destroyed again. A line already imported is skipped; a
 * different line for a bound MSISDN or ICCID is refused (re-personalising a number is an operator decision this
 * command does not take).
 */
export async function importPersonalisation(hsm: Hsm, store: Store, text: string, importedBy: string): Promise<SimImportReport> {
  const { readPersonalisationLine, otaKeyLabel, PersonalisationError } = await import('../channel/sim');
  const transport = await hsm.findKeyPair({ label: SIM_TRANSPORT_KEY_LABEL }).catch(() => undefined);
  if (transport === undefined) throw new Error('no SIM transport key in the token: run `mssp sim transport-key` and give its public key to the card personaliser');
  const fingerprint = transportKeyFingerprint(await hsm.publicKeySpki(transport.publicKey));
  // One listing up front: a find per label costs SoftHSM2 a scan of every object, and the token grows by two per SIM.
  const labelsInToken = new Set((await hsm.listObjects()).filter((o) => o.class === 'secretKey').map((o) => o.label));
  const imported: string[] = [];
  const unchanged: string[] = [];
  const refused: { line: number; reason: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const raw = (lines[i] ?? '').trim();
    if (raw === '') continue;
    const lineNo = i + 1;
    const sourceHash = createHash('sha256').update(raw).digest('hex');
    const made: HsmKey[] = [];
    try {
      const line = readPersonalisationLine(raw);
      if (line.wrapping.transportKey !== fingerprint) throw new PersonalisationError('wrapping.transportKey', 'the file was made for another transport key');
      const [byMsisdn, byIccid] = await Promise.all([store.sims.findByMsisdn(line.msisdn), store.sims.findByIccid(line.iccid)]);
      if (byMsisdn !== undefined && byMsisdn.sourceHash === sourceHash) {
        unchanged.push(line.msisdn);
        continue;
      }
      if (byMsisdn !== undefined) throw new PersonalisationError('msisdn', `+${line.msisdn} already holds SIM ${byMsisdn.iccid}`);
      if (byIccid !== undefined) throw new PersonalisationError('iccid', `SIM ${line.iccid} is already bound to +${byIccid.msisdn}`);
      const algorithm = line.wrapping.hash === 'SHA-1' ? 'RSA-OAEP' : 'RSA-OAEP-256';
      for (const [name, key, usage] of [['KIc', line.kic, 'cipher'], ['KID', line.kid, 'mac']] as const) {
        const label = otaKeyLabel({ sim: line.iccid, key: name, version: line.keyVersion });
        // Left by an import that stopped between the unwrap and the store (no profile names this ICCID).
        while (labelsInToken.has(label)) {
          const stale = await hsm.findKey({ class: 'secretKey', label }).catch(() => undefined);
          if (stale === undefined) labelsInToken.delete(label);
          else await hsm.destroyKey(stale);
        }
        try {
          made.push(await hsm.unwrapAesKey(transport.privateKey, key.wrapped, { algorithm, bits: key.bits, label, token: true, usage }));
        } catch (err) {
          throw new PersonalisationError(name === 'KIc' ? 'kic.wrapped' : 'kid.wrapped', `does not unwrap to an AES-${key.bits} key with the transport key (${err instanceof Error ? err.message : String(err)})`);
        }
      }
      await store.sims.insert({ msisdn: line.msisdn, iccid: line.iccid, tar: line.tar, keyVersion: line.keyVersion, kicAlgorithm: 'AES-CBC', kidAlgorithm: 'AES-CMAC', sourceHash, importedBy });
      imported.push(line.msisdn);
    } catch (err) {
      for (const key of made) await hsm.destroyKey(key).catch(() => undefined);
      // A fault of the line is reported and the next line tried; anything else (store, token) stops the import.
      if (!(err instanceof PersonalisationError)) throw err;
      refused.push({ line: lineNo, reason: err.message });
    }
  }
  return { imported, unchanged, refused };
}

function pem(der: Uint8Array, label: string): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----`;
}

export function registerSimCommands(program: Command, ctx: SimCommandContext): void {
  const { out } = ctx;
  const sim = program.command('sim').description('SIM personalisation: the transport key, importing OTA keys, the SIMs the platform reaches');

  sim
    .command('transport-key')
    .description('make (once) the RSA transport key pair in the HSM and print its public key PEM for the card personaliser')
    .option('--bits <n>', 'RSA modulus size: 2048, 3072 or 4096 (only when the key is made)', (v) => Number(v), 3072)
    .action(async (o: { bits: number }) => {
      if (o.bits !== 2048 && o.bits !== 3072 && o.bits !== 4096) throw new Error('--bits must be 2048, 3072 or 4096');
      const { openPlatformHsm } = await import('./platform');
      const hsm = await openPlatformHsm(ctx.config().config);
      try {
        let pair = await hsm.findKeyPair({ label: SIM_TRANSPORT_KEY_LABEL }).catch(() => undefined);
        if (pair === undefined) {
          out.step(`making an RSA-${o.bits} transport key "${SIM_TRANSPORT_KEY_LABEL}" in the token`);
          pair = await hsm.generateKeyPair({ type: 'RSA', modulusBits: o.bits, usage: 'unwrap' }, { label: SIM_TRANSPORT_KEY_LABEL });
        }
        const spki = await hsm.publicKeySpki(pair.publicKey);
        out.step(`transport key SHA-256 ${transportKeyFingerprint(spki)}`);
        out.result(pem(spki, 'PUBLIC KEY'));
      } finally {
        await hsm.close();
      }
    });

  sim
    .command('import')
    .description('unwrap each SIM\'s OTA keys from a personalisation file into the HSM and bind them to its MSISDN and ICCID')
    .argument('<file>', 'JSON lines (src/channel/sim/PERSONALISATION.md)')
    .action(async (file: string) => {
      const { config } = ctx.config();
      const text = readFileSync(file, 'utf8');
      const { openPlatformHsm, openPlatformStore } = await import('./platform');
      const store = await openPlatformStore(config);
      let hsm: Hsm | undefined;
      try {
        await store.migrate();
        hsm = await openPlatformHsm(config);
        const report = await importPersonalisation(hsm, store, text, config.operatorName);
        for (const r of report.refused) out.warn(`line ${r.line} refused: ${r.reason}`);
        out.result(`${report.imported.length} imported, ${report.unchanged.length} already there, ${report.refused.length} refused`);
        if (report.refused.length > 0) throw new Error(`${report.refused.length} line(s) of ${file} refused; the others are imported`);
      } finally {
        await hsm?.close();
        await store.close();
      }
    });

  sim
    .command('list')
    .description('the SIMs the platform reaches: MSISDN, ICCID, applet TAR, OTA key version')
    .option('--json', 'one JSON object per line')
    .action(async (o: { json?: boolean }) => {
      const { openPlatformStore } = await import('./platform');
      const store = await openPlatformStore(ctx.config().config);
      try {
        await store.migrate();
        const sims = await store.sims.list();
        if (o.json) {
          for (const s of sims) out.result(JSON.stringify({ ...s, msisdn: `+${s.msisdn}` }));
          return;
        }
        out.result(
          table([
            ['MSISDN', 'ICCID', 'TAR', 'OTA keys', 'imported', 'by'],
            ...sims.map((s) => [`+${s.msisdn}`, s.iccid, s.tar, `v${s.keyVersion} ${s.kicAlgorithm}/${s.kidAlgorithm}`, s.importedAt.toISOString(), s.importedBy]),
          ]),
        );
      } finally {
        await store.close();
      }
    });
}
