// Prometheus metrics: request counts and latency per route (RequestMetrics, on every
// request), plus the process defaults, a few gauges of the session core, and the AMQP
// surface's counters when it runs (prom-client, read or counted far less often).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Core } from '../app.js';
import type { AmqpConsumer } from '../surfaces/amqp/consumer.js';
import { RequestMetrics } from './request-metrics.js';

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class Metrics {
  private readonly registry = new Registry();
  private readonly requests = new RequestMetrics(latencyBuckets);
  readonly contentType = this.registry.contentType;

  constructor(core: Core) {
    collectDefaultMetrics({ register: this.registry });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
    gauge('gatehouse_session_cache_entries', 'Sessions held in the validation cache.', () => core.sessions.cache.size);
    gauge('gatehouse_session_activity_backlog', 'Sessions with activity not yet written.', () => core.sessions.activity.backlog);
    gauge('gatehouse_bus_healthy', '1 while this node hears other nodes\' cache invalidations (else the cache is bypassed).', () => (core.bus.healthy ? 1 : 0));
    gauge('gatehouse_password_hash_queue', 'Password hashes waiting for a free slot.', () => core.passwords.queued);
    gauge('gatehouse_session_cache_bytes', 'Estimated bytes held by the validation cache.', () => core.sessions.cache.bytes);
    gauge('gatehouse_access_token_cache_entries', 'Verified access tokens remembered.', () => core.tokens.cached);
    gauge('gatehouse_access_token_signature_checks', 'Access-token signatures verified since start (cache misses).', () => core.tokens.signatureChecks);
    if (core.amqp !== undefined) this.observeAmqp(core.amqp);
  }

  private observeAmqp(consumer: AmqpConsumer): void {
    const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [this.registry] });
    const received = counter('gatehouse_amqp_received_total', 'AMQP requests taken from the queue.');
    const replied = counter('gatehouse_amqp_replied_total', 'AMQP replies published and confirmed, by status_code.', ['status']);
    const rejected = counter('gatehouse_amqp_rejected_total', 'AMQP requests answered with an error (status_code >= 400).');
    const deadLettered = counter('gatehouse_amqp_dead_lettered_total', 'AMQP requests sent to the dead-letter queue (no reply_to, or a reply that could not be delivered twice).');
    const requeued = counter('gatehouse_amqp_requeued_total', 'AMQP requests returned to the queue because their reply was not confirmed.');
    const handling = new Histogram({
      name: 'gatehouse_amqp_handling_seconds',
      help: 'AMQP request handling, from delivery to acknowledgement.',
      buckets: latencyBuckets,
      registers: [this.registry],
    });
    new Gauge({ name: 'gatehouse_amqp_connected', help: '1 while this node consumes the AMQP request queue.', registers: [this.registry], collect() { this.set(consumer.connected ? 1 : 0); } });
    consumer.observer = {
      received: () => received.inc(),
      settled: (settlement, status, seconds) => {
        handling.observe(seconds);
        if (settlement === 'dead_lettered') deadLettered.inc();
        else if (settlement === 'requeued') requeued.inc();
        else {
          replied.labels(String(status)).inc();
          if (status !== undefined && status >= 400) rejected.inc();
        }
      },
    };
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe(method, route, status, seconds);
  }

  /** Every metric in the Prometheus text format. */
  async exposition(): Promise<string> {
    return `${await this.registry.metrics()}\n${this.requests.exposition()}`;
  }
}
