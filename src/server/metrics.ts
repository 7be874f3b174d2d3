// Prometheus metrics: request counts and latency per route, plus the process defaults
// and a few gauges of the session core.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Core } from '../app.js';

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;

  constructor(core: Core) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests by route and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request latency by route.',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
    gauge('gatehouse_session_cache_entries', 'Sessions held in the validation cache.', () => core.sessions.cache.size);
    gauge('gatehouse_session_activity_backlog', 'Sessions with activity not yet written.', () => core.sessions.activity.backlog);
    gauge('gatehouse_bus_healthy', '1 while this node hears other nodes\' cache invalidations (else the cache is bypassed).', () => (core.bus.healthy ? 1 : 0));
    gauge('gatehouse_password_hash_queue', 'Password hashes waiting for a free slot.', () => core.passwords.queued);
    gauge('gatehouse_session_cache_bytes', 'Estimated bytes held by the validation cache.', () => core.sessions.cache.bytes);
    gauge('gatehouse_access_token_cache_entries', 'Verified access tokens remembered.', () => core.tokens.cached);
    gauge('gatehouse_access_token_signature_checks', 'Access-token signatures verified since start (cache misses).', () => core.tokens.signatureChecks);
  }

  // Label children are looked up once per route and status and kept: prom-client would
  // otherwise build and hash a label key on every request.
  private readonly children = new Map<string, { requests: Counter.Internal; duration: Histogram.Internal<'method' | 'route'> }>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = { requests: this.requests.labels(method, route, String(status)), duration: this.duration.labels(method, route) };
      this.children.set(key, child);
    }
    child.requests.inc();
    child.duration.observe(seconds);
  }
}
