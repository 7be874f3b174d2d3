// Baseline for the AMQP round trip: a bare amqplib consumer doing the broker work the AMQP
// surface does — the same queue declaration and prefetch, a confirm channel, a reply to
// reply_to with the correlation id, the ack after the confirm — and nothing else. The
// distance to it is what Gatehouse's own message handling costs.
import '../servers/guard.js';
import amqp from 'amqplib';
import { declareRequestQueue } from '../../src/surfaces/amqp/consumer.js';

const url = process.env.BENCH_AMQP_URL!;
const queue = process.env.BENCH_AMQP_QUEUE!;
const prefetch = Number(process.env.AMQP_PREFETCH ?? 32);

const connection = await amqp.connect(url, { clientProperties: { connection_name: 'bench amqp-echo' } });
connection.on('error', () => undefined);
const channel = await connection.createConfirmChannel();
await declareRequestQueue(channel, queue);
await channel.prefetch(prefetch);
const body = Buffer.from('{"data":null}');
const { consumerTag } = await channel.consume(queue, (message) => {
  if (message === null) return;
  const started = process.hrtime.bigint();
  channel.publish(
    '',
    message.properties.replyTo as string,
    body,
    { contentType: 'application/json', correlationId: message.properties.correlationId, headers: { status_code: 200, status_message: 'OK', processing_time_ns: Number(process.hrtime.bigint() - started) } },
    (err: unknown) => (err ? channel.nack(message) : channel.ack(message)),
  );
});
process.send?.('ready');

async function stop(): Promise<void> {
  await channel.cancel(consumerTag).catch(() => undefined);
  await connection.close().catch(() => undefined);
}
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
