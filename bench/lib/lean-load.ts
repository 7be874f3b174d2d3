// A keep-alive HTTP/1.1 load generator for slow requests (logins, registrations): each
// connection sends one request, reads the whole answer, then sends the next. On the 2-core
// machine every core-millisecond the generator spends is taken from the server's hashing
// threads, and autocannon spends about 0.5 ms of CPU per login there (its request building,
// parser and histograms, slowed further beside two argon2id threads); this one writes a
// prebuilt request and reads one Content-Length-framed answer, a fraction of that.
// It speaks only what Gatehouse answers with: a status line, headers, Content-Length.
import { connect, type Socket } from 'node:net';
import type { AutocannonRequest } from 'autocannon';
import { RunMeter, type LoadRun } from './load.js';
import { LatencyLog } from './stats.js';

export interface LeanRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LeanLoadSpec {
  url: string;
  connections: number;
  durationS: number;
  /** Called for every request, so bodies may differ (a fresh username, a random user). */
  request: () => LeanRequest;
  serverPid?: number;
}

/**
 * The requests of an autocannon definition list, in turn, each through its setupRequest:
 * the phases define their requests once for both generators.
 */
export function cycleOf(requests: readonly AutocannonRequest[]): () => LeanRequest {
  let next = 0;
  return () => {
    const definition = requests[next++ % requests.length]!;
    const base = { method: definition.method ?? 'GET', path: definition.path ?? '/', headers: definition.headers ?? {}, body: definition.body };
    const built = (definition.setupRequest ? definition.setupRequest(base as never, {}) : base) as LeanRequest;
    return { method: built.method ?? 'GET', path: built.path ?? '/', headers: built.headers as Record<string, string> | undefined, body: built.body === undefined ? undefined : String(built.body) };
  };
}

const headerEnd = Buffer.from('\r\n\r\n');

function encode(host: string, request: LeanRequest): Buffer {
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const lines = [`${request.method} ${request.path} HTTP/1.1`, `host: ${host}`, 'connection: keep-alive'];
  for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`content-length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  return body === undefined ? head : Buffer.concat([head, body]);
}

/** Reads answers off one socket: resolves each with its status once its body is complete. */
class AnswerReader {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (status: number) => void; reject: (err: Error) => void } | undefined;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.settle();
    });
    const fail = (err: Error) => {
      this.waiting?.reject(err);
      this.waiting = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  next(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.settle();
    });
  }

  private settle(): void {
    if (this.waiting === undefined) return;
    const end = this.buffered.indexOf(headerEnd);
    if (end === -1) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length === null) {
      this.waiting.reject(new Error(`answer without Content-Length: ${head.split('\r\n')[0]}`));
      this.waiting = undefined;
      return;
    }
    const total = end + headerEnd.length + Number(length[1]);
    if (this.buffered.length < total) return;
    this.buffered = this.buffered.subarray(total);
    const { resolve } = this.waiting;
    this.waiting = undefined;
    resolve(status);
  }
}

export async function runLeanLoad(spec: LeanLoadSpec): Promise<LoadRun> {
  const target = new URL(spec.url);
  const port = Number(target.port || 80);
  const latencies = new LatencyLog();
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let rejected = 0;
  let errors = 0;
  const meter = new RunMeter(spec.serverPid);
  const end = meter.startedAt + spec.durationS * 1000;

  const connection = async (): Promise<void> => {
    while (performance.now() < end) {
      const socket = connect({ host: target.hostname, port, noDelay: true });
      const reader = new AnswerReader(socket);
      try {
        await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
        while (performance.now() < end) {
          const sent = performance.now();
          socket.write(encode(target.host, spec.request()));
          const status = await reader.next();
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (status >= 200 && status < 300) {
            latencies.add(performance.now() - sent);
            ok++;
          } else {
            rejected++;
          }
        }
      } catch {
        errors++; // a broken connection: counted, and a new one is opened
      } finally {
        socket.destroy();
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, connection));
  return meter.finish({ ok, rejected, errors, statusCodes }, latencies);
}
