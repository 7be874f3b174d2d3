// An AMQP request-reply load: one connection keeping `inFlight` requests outstanding on the
// request queue (a new one is published as each reply arrives, over direct reply-to), for a
// fixed time. Reports the same LoadRun as an HTTP load, so rounds and ratios are computed alike.
import amqp from 'amqplib';
import { RunMeter, type LoadRun } from './load.js';
import { LatencyLog } from './stats.js';

export interface AmqpLoadSpec {
  url: string;
  queue: string;
  inFlight: number;
  durationS: number;
  /** The message each request sends: its type, body and jwt header, by request number. */
  message: (i: number) => { type: string; body: string; jwt?: string };
  serverPid?: number;
}

const replyTo = 'amq.rabbitmq.reply-to';

export async function runAmqpLoad(spec: AmqpLoadSpec): Promise<LoadRun> {
  const connection = await amqp.connect(spec.url, { clientProperties: { connection_name: 'bench amqp-load' } });
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  const latencies = new LatencyLog();
  let ok = 0;
  let rejected = 0;
  const statusCodes: Record<string, number> = {};
  const sentAt = new Map<string, number>();
  let next = 0;
  let open = 0;
  let deadline = 0;
  let finish: () => void = () => undefined;
  const send = () => {
    const id = next++;
    const message = spec.message(id);
    sentAt.set(String(id), performance.now());
    open++;
    channel.publish('', spec.queue, Buffer.from(message.body), {
      type: message.type,
      contentType: 'application/json',
      correlationId: String(id),
      replyTo,
      headers: message.jwt === undefined ? {} : { jwt: message.jwt },
    });
  };
  await channel.consume(
    replyTo,
    (reply) => {
      if (reply === null) return;
      const now = performance.now();
      const at = sentAt.get(String(reply.properties.correlationId));
      if (at === undefined) return;
      sentAt.delete(String(reply.properties.correlationId));
      open--;
      const status = String(reply.properties.headers?.status_code);
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      if (status === '200') {
        latencies.add(now - at);
        ok++;
      } else rejected++;
      if (now < deadline) send();
      else if (open === 0) finish();
    },
    { noAck: true },
  );
  const meter = new RunMeter(spec.serverPid);
  deadline = meter.startedAt + spec.durationS * 1000;
  await new Promise<void>((resolve) => {
    finish = resolve;
    for (let i = 0; i < spec.inFlight; i++) send();
    // Requests never answered (a stuck server) end the run too, counted as errors.
    setTimeout(resolve, spec.durationS * 1000 + 10_000).unref();
  });
  // Requests still open at the end were never answered: errors.
  const run = meter.finish({ ok, rejected, errors: open, statusCodes }, latencies);
  await connection.close().catch(() => undefined);
  return run;
}
