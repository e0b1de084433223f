import type { Command } from 'commander';
import type { LoadedConfig } from '../config';
import { table, type CliOutput } from './output';

/**
 * `mssp ap …`: the operator's side of the AP registry (who may call the TS 102 204 service, from where, with
 * which profiles). Changes reach a running platform at the next request: each request reads its AP.
 */
export interface ApCommandContext {
  readonly config: () => LoadedConfig;
  readonly out: CliOutput;
}

const list = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

export function registerApCommands(program: Command, ctx: ApCommandContext): void {
  const { out } = ctx;
  const ap = program.command('ap').description('the relying parties (APs) allowed to use the TS 102 204 service');

  ap.command('add')
    .description('register an AP; the password is read from MSSP_AP_PASSWORD (never from the command line) and stored hashed')
    .requiredOption('--ap-id <uri>', 'AP_ID, as the AP sends it in AP_Info')
    .requiredOption('--profile <uri...>', 'signature profiles it may ask for (repeat or comma-separate)', list)
    .option('--format <uri...>', 'MSS_Format URIs it may ask for (default PKCS7)', list)
    .option('--ip <cidr...>', 'IP addresses or CIDR blocks it may call from (default: any)', list)
    .option('--tls-fingerprint <sha256>', 'SHA-256 of its TLS client certificate, to require mutual TLS')
    .option('--notification-url <url>', 'its MSS_Notification endpoint (asynchServerServer)')
    .option('--rate <n>', 'requests per second', (v) => Number(v), 50)
    .option('--permission <name...>', 'more than signatures: registration (register and activate mobile IDs over MSS_Registration)', list)
    .action(async (o: { apId: string; profile: string[]; format?: string[]; ip?: string[]; tlsFingerprint?: string; notificationUrl?: string; rate: number; permission?: string[] }) => {
      const password = process.env.MSSP_AP_PASSWORD;
      if (password === undefined || password === '') throw new Error('set MSSP_AP_PASSWORD to the AP password (it is not taken as an argument so it stays out of the shell history)');
      const { openPlatformStore } = await import('./platform');
      const { addAp } = await import('../mss/aps/registry');
      const store = await openPlatformStore(ctx.config().config);
      try {
        await store.migrate();
        const record = await addAp(store.mss, {
          apId: o.apId,
          password,
          profiles: o.profile,
          ...(o.format ? { formats: o.format } : {}),
          ...(o.ip ? { ipAllow: o.ip } : {}),
          ...(o.tlsFingerprint !== undefined ? { tlsFingerprint: o.tlsFingerprint } : {}),
          ...(o.notificationUrl !== undefined ? { notificationUrl: o.notificationUrl } : {}),
          ratePerSecond: o.rate,
          ...(o.permission ? { permissions: o.permission } : {}),
        });
        out.result(`AP ${record.apId} added`);
      } finally {
        await store.close();
      }
    });

  ap.command('list')
    .description('list the APs')
    .option('--json', 'one JSON object per line')
    .action(async (o: { json?: boolean }) => {
      const { openPlatformStore } = await import('./platform');
      const store = await openPlatformStore(ctx.config().config);
      try {
        await store.migrate();
        const aps = await store.mss.listAps();
        if (o.json) {
          for (const a of aps) {
            const { passwordHash: _hidden, ...shown } = a;
            out.result(JSON.stringify(shown));
          }
          return;
        }
        out.result(
          table([
            ['AP_ID', 'status', 'profiles', 'ip allow-list', 'mTLS', 'rate/s', 'permissions', 'notification URL'],
            ...aps.map((a) => [a.apId, a.status, a.profiles.join(' '), a.ipAllow.join(' ') || 'any', a.tlsFingerprint ? 'yes' : 'no', String(a.ratePerSecond), a.permissions.join(' ') || '-', a.notificationUrl ?? '']),
          ]),
        );
      } finally {
        await store.close();
      }
    });

  ap.command('disable')
    .description('refuse every further request of an AP (104 UNAUTHORIZED_ACCESS)')
    .argument('<ap-id>', 'AP_ID')
    .action(async (apId: string) => {
      const { openPlatformStore } = await import('./platform');
      const store = await openPlatformStore(ctx.config().config);
      try {
        await store.migrate();
        if (!(await store.mss.setApStatus(apId, 'disabled'))) throw new Error(`no AP ${apId}`);
        out.result(`AP ${apId} disabled`);
      } finally {
        await store.close();
      }
    });
}
