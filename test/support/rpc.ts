// RPC clients for tests: over HTTP (`POST /rpc`) and over a real WebSocket (the `ws`
// package), with replies matched to requests by `id` so tests can pipeline.
import WebSocket from 'ws';
import { api, type TestApp } from './harness.js';

export async function rpc(app: Pick<TestApp, 'url'>, request: Record<string, unknown>) {
  const response = await api(app.url, '/rpc', { method: 'POST', body: request });
  return { status: response.status, body: response.body as Record<string, any>, headers: response.headers };
}

export class RpcSocket {
  private readonly waiting = new Map<unknown, (reply: Record<string, any>) => void>();
  /** Replies without an id that nobody waited for (a test failure if any are left). */
  readonly anonymous: Array<Record<string, any>> = [];
  private anonymousWaiters: Array<(reply: Record<string, any>) => void> = [];
  private nextId = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const reply = JSON.parse(data.toString()) as Record<string, any>;
      const resolve = this.waiting.get(reply.id);
      if (reply.id !== undefined && resolve) {
        this.waiting.delete(reply.id);
        resolve(reply);
      } else {
        const waiter = this.anonymousWaiters.shift();
        if (waiter) waiter(reply);
        else this.anonymous.push(reply);
      }
    });
  }

  static open(app: Pick<TestApp, 'url'>, options: WebSocket.ClientOptions = {}): Promise<RpcSocket> {
    const socket = new WebSocket(`${app.url.replace('http', 'ws')}/rpc`, options);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new RpcSocket(socket)));
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    });
  }

  /** Sends one request with a fresh id (unless it has one) and resolves with its reply. */
  call(request: Record<string, unknown>): Promise<Record<string, any>> {
    const id = request.id ?? `r${++this.nextId}`;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.send(JSON.stringify({ ...request, id }));
    });
  }

  /** Sends a raw frame and resolves with the next reply that carries no id. */
  raw(frame: string | Buffer, binary = false): Promise<Record<string, any>> {
    return new Promise((resolve) => {
      this.anonymousWaiters.push(resolve);
      this.socket.send(frame, { binary });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
