import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A bare TCP peer for fault tests: it writes whatever bytes a test gives it and reads back PDUs by their
 * 16-octet header alone (no SMPP library, ours or anyone's), so it can send what no codec would.
 */

export interface RawPdu {
  readonly length: number;
  readonly commandId: number;
  readonly status: number;
  readonly sequence: number;
  readonly body: Buffer;
}

export function header(length: number, commandId: number, status: number, sequence: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(length >>> 0, 0);
  b.writeUInt32BE(commandId >>> 0, 4);
  b.writeUInt32BE(status >>> 0, 8);
  b.writeUInt32BE(sequence >>> 0, 12);
  return b;
}

/** A whole PDU from a command id and body. */
export function pdu(commandId: number, sequence: number, body: Buffer = Buffer.alloc(0), status = 0): Buffer {
  return Buffer.concat([header(16 + body.length, commandId, status, sequence), body]);
}

export const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private readonly received: RawPdu[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 16) {
        const length = this.buffered.readUInt32BE(0);
        if (length < 16 || this.buffered.length < length) break;
        this.received.push({
          length,
          commandId: this.buffered.readUInt32BE(4),
          status: this.buffered.readUInt32BE(8),
          sequence: this.buffered.readUInt32BE(12),
          body: Buffer.from(this.buffered.subarray(16, length)),
        });
        this.buffered = this.buffered.subarray(length);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next PDU received (in order), or an error after the timeout. */
  async next(timeoutMs = 3_000): Promise<RawPdu> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = this.received.shift();
      if (p !== undefined) return p;
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no PDU in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next PDU with this command id, answering nothing and skipping others. */
  async nextOf(commandId: number, timeoutMs = 3_000): Promise<RawPdu> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.next(Math.max(1, deadline - Date.now()));
      if (p.commandId === commandId) return p;
    }
  }

  end(): void {
    this.socket.destroy();
  }
}

export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RawConnection(socket)));
    socket.once('error', reject);
  });
}

/** A raw listening peer (a fake SMSC for testing our ESME). */
export async function rawServer(): Promise<{ server: Server; port: number; accepted: () => Promise<RawConnection> }> {
  const pending: RawConnection[] = [];
  const waiters: ((c: RawConnection) => void)[] = [];
  const server = createServer((socket) => {
    const c = new RawConnection(socket);
    const w = waiters.shift();
    if (w !== undefined) w(c);
    else pending.push(c);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    server,
    port,
    accepted: () => {
      const c = pending.shift();
      return c !== undefined ? Promise.resolve(c) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}
