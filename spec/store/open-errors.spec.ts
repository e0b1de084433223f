import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, StoreError, type StoreErrorCode, type StoreOptions } from '../../src/store';
import { TEST_DATABASE_URL } from '../support/postgres';

/** `mssp start` prints the message as its one error line, with the cause's message appended: neither may leak. */
function visibleText(err: StoreError): string {
  return `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}`;
}

async function openFails(options: StoreOptions, code: StoreErrorCode, withinMs = 8_000): Promise<StoreError> {
  const started = Date.now();
  const err = await openStore(options).then(
    async (store) => {
      await store.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(Date.now() - started).toBeLessThan(withinMs);
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  expect((err as StoreError).message).not.toMatch(/\n/);
  return err as StoreError;
}

function testUrl(change: (url: URL) => void): string {
  const url = new URL(TEST_DATABASE_URL);
  change(url);
  return url.toString();
}

const scratch = (): string => process.env.MSSP_TEST_SCRATCH ?? tmpdir();

describe('opening the store fails fast with one clear StoreError', () => {
  describe('a bad DATABASE_URL', () => {
    it.each([
      ['not a URL', 'not a url at all with pw-secret-0'],
      ['another scheme', 'mysql://app:pw-secret-0@127.0.0.1:3306/mssp'],
      ['a port out of range', 'postgres://app:pw-secret-0@127.0.0.1:99999/mssp'],
      ['no host', 'postgres://app:pw-secret-0@/mssp'],
      ['a badly escaped password', 'postgres://app:pw-secret-0%zz@127.0.0.1/mssp'],
    ])('%s is BAD_URL', async (_case, databaseUrl) => {
      const err = await openFails({ databaseUrl, sqliteFile: '' }, 'BAD_URL', 1_000);
      expect(visibleText(err)).not.toContain('pw-secret-0');
      expect(err.message).toMatch(/DATABASE_URL/);
    });

    it('a schema name that is not a plain identifier is refused before connecting', async () => {
      await openFails({ databaseUrl: TEST_DATABASE_URL, sqliteFile: '', postgresSchema: 'x"; drop table y; --' }, 'BAD_URL', 1_000);
    });
  });

  describe('a PostgreSQL that cannot be used', () => {
    it('nobody answering at the port is CONNECT_FAILED, naming host and port, without the password', async () => {
      const err = await openFails({ databaseUrl: 'postgres://app:pw-secret-1@127.0.0.1:1/mssp', sqliteFile: '' }, 'CONNECT_FAILED');
      expect(err.message).toContain('127.0.0.1:1');
      expect(visibleText(err)).not.toContain('pw-secret-1');
    });

    it('a server that accepts the connection and never answers is CONNECT_FAILED within the connect timeout', async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as AddressInfo;
      try {
        const url = `postgres://app:pw-secret-2@127.0.0.1:${port}/mssp`;
        const err = await openFails({ databaseUrl: url, sqliteFile: '', connectTimeoutMs: 500 }, 'CONNECT_FAILED', 3_000);
        expect(err.message).toContain(`127.0.0.1:${port}`);
        expect(visibleText(err)).not.toContain('pw-secret-2');
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it('a host name that does not resolve is CONNECT_FAILED', async () => {
      const err = await openFails({ databaseUrl: 'postgres://app:pw-secret-3@no-such-host.invalid:5432/mssp', sqliteFile: '', connectTimeoutMs: 2_000 }, 'CONNECT_FAILED');
      expect(err.message).toContain('no-such-host.invalid');
    });

    it('a database that does not exist is DATABASE_MISSING, naming it', async () => {
      const url = testUrl((u) => {
        u.pathname = '/no_such_database_here';
      });
      const err = await openFails({ databaseUrl: url, sqliteFile: '' }, 'DATABASE_MISSING');
      expect(err.message).toContain('no_such_database_here');
      const password = decodeURIComponent(new URL(url).password);
      if (password !== '') expect(visibleText(err)).not.toContain(`:${password}@`);
    });

    it('a role that does not exist is AUTH_FAILED, without the password', async () => {
      const url = testUrl((u) => {
        u.username = 'no_such_role_here';
        u.password = 'pw-secret-4';
      });
      const err = await openFails({ databaseUrl: url, sqliteFile: '' }, 'AUTH_FAILED');
      expect(err.message).toContain('no_such_role_here');
      expect(visibleText(err)).not.toContain('pw-secret-4');
    });
  });

  describe('a SQLite file that cannot be used', () => {
    it('a folder in the way is CONNECT_FAILED, naming the file', async () => {
      const dir = join(scratch(), 'store-open-errors', 'a-folder.sqlite');
      mkdirSync(dir, { recursive: true });
      const err = await openFails({ sqliteFile: dir }, 'CONNECT_FAILED');
      expect(err.message).toContain(dir);
    });

    it('a file that is not a database is CONNECT_FAILED', async () => {
      const file = join(scratch(), 'store-open-errors', 'not-a-database.sqlite');
      mkdirSync(join(scratch(), 'store-open-errors'), { recursive: true });
      writeFileSync(file, 'this is not an SQLite database, just text long enough to fill a header page '.repeat(20));
      await openFails({ sqliteFile: file }, 'CONNECT_FAILED');
    });

    it('a folder that cannot be created is CONNECT_FAILED', async () => {
      const blocker = join(scratch(), 'store-open-errors', 'a-file');
      mkdirSync(join(scratch(), 'store-open-errors'), { recursive: true });
      writeFileSync(blocker, 'x');
      await openFails({ sqliteFile: join(blocker, 'sub', 'mssp.sqlite') }, 'CONNECT_FAILED');
    });
  });

  it('a missing SQLite folder is created', async () => {
    const file = join(scratch(), 'store-open-errors', `new-${process.pid}`, 'deeper', 'mssp.sqlite');
    const store = await openStore({ sqliteFile: file });
    try {
      expect(store.engine).toBe('sqlite');
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
