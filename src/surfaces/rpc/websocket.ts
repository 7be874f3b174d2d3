// One RPC WebSocket connection: each text frame is a request, each reply echoes its `id`,
// so a client may pipeline. Bad frames (binary, too large, not JSON, too deep) get an error
// reply and the connection goes on. Backpressure both ways: at most `maxInFlight` requests
// run at once and a client that does not read its replies stops being read, so neither can
// make the server hold unbounded work or buffers.
import type { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { GatehouseError } from '../../core/errors.js';
import { exceedsDepth, parseJsonInput } from '../../core/json-input.js';
import { rpcError } from './envelope.js';
import type { RpcReply, RpcTransport } from './dispatch.js';

export interface ConnectionLimits {
  maxInFlight: number;
  /** The largest frame answered (BODY_LIMIT); larger ones get `payload_too_large`. */
  frameLimitBytes: number;
  maxDepth: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The `id` of a frame the input check refused (a prototype key, a lone surrogate, a number
 * out of range), so a pipelining client can still match the error to its request. Only
 * for frames that are well within the depth limit: the plain parse never recurses deep.
 */
function idOfRefused(text: string, maxDepth: number): unknown {
  if (exceedsDepth(text, maxDepth)) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { id?: unknown }).id : undefined;
  } catch {
    return undefined;
  }
}

/** Replies written but not yet flushed to the socket before the connection stops reading. */
const maxUnflushedReplies = 256;

export function serveConnection(socket: WebSocket, limits: ConnectionLimits, transport: () => RpcTransport, dispatch: (request: unknown, transport: RpcTransport) => Promise<RpcReply>): void {
  let inFlight = 0;
  let unflushed = 0;
  let paused = false;

  const pressure = () => inFlight >= limits.maxInFlight || unflushed >= maxUnflushedReplies;
  const settle = () => {
    if (!paused && pressure()) {
      paused = true;
      socket.pause();
    } else if (paused && !pressure()) {
      paused = false;
      socket.resume();
    }
  };

  // Replies made in one turn (the frames of one read, answered from the cache) leave in one
  // write: the connection's TCP socket is corked at the first and uncorked by a tick, which
  // runs once the turn's promise jobs have. A write per reply was a system call each, and
  // on loopback the sender's call also runs the receiver's side of TCP: pipelined
  // validate_session went from 42-57k to 64-96k replies/s (bench README, eleventh pass).
  // `_socket` is ws's own field for the connection's socket; without it, nothing is corked.
  const tcp = (socket as unknown as { _socket?: Duplex })._socket;
  let corked = false;
  const uncork = () => {
    corked = false;
    tcp!.uncork();
  };
  const send = (body: unknown) => {
    if (socket.readyState !== socket.OPEN) return;
    if (!corked && tcp !== undefined) {
      corked = true;
      tcp.cork();
      process.nextTick(uncork);
    }
    unflushed++;
    socket.send(JSON.stringify(body), () => {
      unflushed--;
      settle();
    });
    settle();
  };

  const refuse = (error: GatehouseError, id?: unknown) => send(rpcError(error, id));

  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return refuse(new GatehouseError('unsupported_media_type', { message: 'Send each request as a text frame of JSON.' }));
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    if (bytes > limits.frameLimitBytes) return refuse(new GatehouseError('payload_too_large', { message: `A frame may hold at most ${limits.frameLimitBytes} bytes.` }));
    let request: unknown;
    let text: string;
    try {
      text = utf8.decode(Array.isArray(data) ? Buffer.concat(data) : (data as Buffer));
    } catch {
      return refuse(new GatehouseError('validation_failed', { message: 'The frame is not valid UTF-8.' }));
    }
    try {
      request = parseJsonInput(text, { maxDepth: limits.maxDepth }, 'frame');
    } catch (err) {
      return refuse(err instanceof GatehouseError ? err : new GatehouseError('validation_failed'), idOfRefused(text, limits.maxDepth));
    }
    inFlight++;
    settle();
    void dispatch(request, transport()).then((reply) => {
      inFlight--;
      send(reply.body);
      settle();
    });
  });
  // A socket error (a reset connection) ends the connection; it must never reach the process.
  socket.on('error', () => socket.terminate());
}

/**
 * Pings every watched connection each interval and drops one that did not answer the
 * previous ping (a pong or any frame counts): dead peers do not hold connections forever.
 */
export class Heartbeat {
  private readonly answered = new WeakSet<WebSocket>();
  private readonly watched = new Set<WebSocket>();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => this.beat(), intervalMs);
    this.timer.unref();
  }

  watch(client: WebSocket): void {
    this.watched.add(client);
    this.answered.add(client);
    const heard = () => this.answered.add(client);
    client.on('pong', heard);
    client.on('message', heard);
    client.once('close', () => this.watched.delete(client));
  }

  private beat(): void {
    for (const client of this.watched) {
      if (!this.answered.has(client)) {
        client.terminate();
        continue;
      }
      this.answered.delete(client);
      client.ping();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
