// Requests written byte for byte on a TCP socket, for what no HTTP client will send: paths
// that are not URLs, `..` kept as is, odd transfer codings, bodies that stop half way.
import net from 'node:net';

export interface RawAnswer {
  /** 0 when the server closed the connection without an answer. */
  status: number;
  head: string;
  body: string;
}

/**
 * Sends `request` as is and reads until the server closes or `timeoutMs` passes. With
 * `keepOpen` the client never ends its side, as a slow or stalled sender would not.
 */
export function rawExchange(base: string, request: string | Buffer, timeoutMs = 5000, options: { keepOpen?: boolean } = {}): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: split === -1 ? '' : text.slice(split + 4) });
    });
    if (options.keepOpen) socket.write(request);
    else socket.end(request);
  });
}

/** A one-request exchange with `Connection: close`, so the server ends it after answering. */
export function rawRequestLine(base: string, method: string, target: string, headers: Record<string, string> = {}, body = ''): Promise<RawAnswer> {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  if (body !== '' && !Object.keys(headers).some((name) => /^(content-length|transfer-encoding)$/i.test(name))) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return rawExchange(base, `${lines.join('\r\n')}\r\n\r\n${body}`);
}
