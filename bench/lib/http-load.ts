import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/**
 * A small HTTP/1.1 load generator for the benchmarks: `connections` keep-alive connections, each sending one
 * POST at a time (no pipelining) and the next as soon as the response is complete, for `seconds`. It runs in a
 * worker thread so that the server under test keeps the main thread's core to itself, and it writes requests
 * prepared beforehand and reads responses by Content-Length only, so that the client costs far less than the
 * server (node's own http client would halve what a 2-core machine can show).
 */
export interface HttpLoadInput {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly contentType: string;
  /** Request bodies, sent round-robin (each connection starts at a different one). */
  readonly bodies: readonly Uint8Array[];
  readonly connections: number;
  readonly seconds: number;
}

export interface HttpLoadResult {
  readonly responses: number;
  readonly perSec: number;
  readonly seconds: number;
  /** Responses with a status other than 200. */
  readonly non200: number;
  /** One response body per request body index seen, for the caller to check (the first few only). */
  readonly samples: readonly { readonly index: number; readonly body: Uint8Array }[];
  readonly meanLatencyMs: number;
}

/** Runs the load in a worker thread and returns its figures. */
export function runHttpLoad(input: HttpLoadInput): Promise<HttpLoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: input, execArgv: ['-r', '@swc-node/register'] });
    worker.once('message', (result: HttpLoadResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load worker exited with ${code}`));
    });
  });
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The first complete response in `pending` (read by Content-Length), undefined while incomplete. */
function takeResponse(pending: Buffer): { head: string; body: Buffer; rest: Buffer } | Error | undefined {
  const headerEnd = pending.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const head = pending.subarray(0, headerEnd).toString('latin1');
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 'NaN');
  if (!Number.isFinite(length)) return new Error(`a response without Content-Length: ${head.split('\r\n')[0]}`);
  const total = headerEnd + HEADER_END.length + length;
  if (pending.length < total) return undefined;
  return { head, body: pending.subarray(headerEnd + HEADER_END.length, total), rest: pending.subarray(total) };
}

function requestBytes(host: string, port: number, path: string, contentType: string, body: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(`POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`),
    body,
  ]);
}

export interface FixedRequestsInput {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly contentType: string;
  /** One keep-alive connection per list: it sends its bodies in order, each after the previous answer, then closes. */
  readonly perConnection: readonly (readonly Uint8Array[])[];
}

export interface FixedRequestsResult {
  readonly seconds: number;
  /** Per connection, per request: latency and the response (status line and body). */
  readonly answers: readonly (readonly { readonly latencyMs: number; readonly status: string; readonly body: Buffer }[])[];
}

/**
 * A closed loop over a fixed set of requests, each connection owning its list (so a benchmark can keep two
 * requests for the same subscriber from being in flight at once), every latency and response kept. It runs on
 * the calling thread: the caller is a process of its own, the load generator.
 */
export async function runFixedRequests(input: FixedRequestsInput): Promise<FixedRequestsResult> {
  const started = performance.now();
  const answers = await Promise.all(
    input.perConnection.map(
      (bodies) =>
        new Promise<{ latencyMs: number; status: string; body: Buffer }[]>((done, fail) => {
          const out: { latencyMs: number; status: string; body: Buffer }[] = [];
          if (bodies.length === 0) {
            done(out);
            return;
          }
          const socket: Socket = connect(input.port, input.host);
          socket.setNoDelay(true);
          let pending: Buffer = Buffer.alloc(0);
          let sentAt = 0;
          const send = (): void => {
            sentAt = performance.now();
            socket.write(requestBytes(input.host, input.port, input.path, input.contentType, bodies[out.length] as Uint8Array));
          };
          socket.on('connect', send);
          socket.on('error', fail);
          socket.on('close', () => (out.length === bodies.length ? done(out) : fail(new Error(`the connection closed after ${out.length} of ${bodies.length} answers`))));
          socket.on('data', (chunk: Buffer) => {
            pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
            for (;;) {
              const taken = takeResponse(pending);
              if (taken === undefined) return;
              if (taken instanceof Error) {
                fail(taken);
                socket.destroy();
                return;
              }
              out.push({ latencyMs: performance.now() - sentAt, status: taken.head.split('\r\n')[0] ?? '', body: Buffer.from(taken.body) });
              pending = taken.rest;
              if (out.length < bodies.length) send();
              else socket.end();
            }
          });
        }),
    ),
  );
  return { seconds: (performance.now() - started) / 1000, answers };
}

function load(input: HttpLoadInput): Promise<HttpLoadResult> {
  const requests = input.bodies.map((body) => requestBytes(input.host, input.port, input.path, input.contentType, body));
  const started = performance.now();
  const end = started + input.seconds * 1000;
  let responses = 0;
  let non200 = 0;
  let latencyTotal = 0;
  const samples: { index: number; body: Uint8Array }[] = [];

  const runConnection = (first: number): Promise<void> =>
    new Promise((done, fail) => {
      const socket: Socket = connect(input.port, input.host);
      socket.setNoDelay(true);
      let next = first;
      let pending: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      let sentIndex = 0;
      const send = (): void => {
        sentIndex = next % requests.length;
        next += 1;
        sentAt = performance.now();
        socket.write(requests[sentIndex] as Buffer);
      };
      socket.on('connect', send);
      socket.on('error', fail);
      socket.on('close', () => done());
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          const taken = takeResponse(pending);
          if (taken === undefined) return;
          if (taken instanceof Error) {
            fail(taken);
            socket.destroy();
            return;
          }
          const now = performance.now();
          responses += 1;
          latencyTotal += now - sentAt;
          if (!taken.head.startsWith('HTTP/1.1 200')) non200 += 1;
          if (samples.length < 8 && !samples.some((s) => s.index === sentIndex)) {
            samples.push({ index: sentIndex, body: Uint8Array.from(taken.body) });
          }
          pending = taken.rest;
          if (now < end) send();
          else socket.end();
        }
      });
    });

  return Promise.all(Array.from({ length: input.connections }, (_, i) => runConnection(i * Math.max(1, Math.floor(requests.length / input.connections))))).then(() => {
    const seconds = (performance.now() - started) / 1000;
    return { responses, perSec: Math.round(responses / seconds), seconds: Number(seconds.toFixed(2)), non200, samples, meanLatencyMs: Number((latencyTotal / Math.max(1, responses)).toFixed(3)) };
  });
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  load(workerData as HttpLoadInput).then(
    (result) => port.postMessage(result),
    (err: unknown) => {
      throw err;
    },
  );
}
