import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/log';

describe('createLogger', () => {
  it('never prints PINs, passwords or connection URLs, at the top level or one level down', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const logger = createLogger({ level: 'info', destination: stream });
    logger.info({ pin: '4711', soPin: '87654321', token: { userPin: '2468', label: 'mssp' } }, 'login');
    logger.info({ config: { pkcs11Pin: '1357', databaseUrl: 'postgres://u:pw-9@h/db' }, password: 'pw-8' }, 'config');
    logger.flush();
    await new Promise((r) => setImmediate(r));
    const text = Buffer.concat(chunks).toString('utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    for (const secret of ['4711', '87654321', '2468', '1357', 'pw-9', 'pw-8']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ msg: 'login', pin: '[redacted]', token: { label: 'mssp', userPin: '[redacted]' } });
  });
});
