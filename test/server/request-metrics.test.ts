// The request metrics' text format: what a Prometheus scraper parses (cumulative buckets,
// +Inf equal to the count, escaped label values), not just that lines exist.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestMetrics } from '../../src/server/request-metrics.js';

test('buckets are cumulative, +Inf and _count equal the observations, _sum adds them up', () => {
  const metrics = new RequestMetrics([0.001, 0.01, 0.1]);
  for (const seconds of [0.0005, 0.001, 0.002, 0.05, 3]) metrics.observe('GET', '/api/user', 200, seconds);
  metrics.observe('GET', '/api/user', 401, 0.0002);
  const lines = metrics.exposition().split('\n');
  const labels = 'method="GET",route="/api/user"';
  assert.ok(lines.includes(`gatehouse_http_requests_total{${labels},status="200"} 5`));
  assert.ok(lines.includes(`gatehouse_http_requests_total{${labels},status="401"} 1`));
  // A value on a bound counts in that bound's bucket (le is "less than or equal").
  assert.ok(lines.includes(`gatehouse_http_request_duration_seconds_bucket{le="0.001",${labels}} 3`));
  assert.ok(lines.includes(`gatehouse_http_request_duration_seconds_bucket{le="0.01",${labels}} 4`));
  assert.ok(lines.includes(`gatehouse_http_request_duration_seconds_bucket{le="0.1",${labels}} 5`));
  assert.ok(lines.includes(`gatehouse_http_request_duration_seconds_bucket{le="+Inf",${labels}} 6`));
  assert.ok(lines.includes(`gatehouse_http_request_duration_seconds_count{${labels}} 6`));
  const sum = Number(lines.find((line) => line.startsWith(`gatehouse_http_request_duration_seconds_sum{${labels}}`))!.split(' ')[1]);
  assert.ok(Math.abs(sum - 3.0537) < 1e-9, String(sum));
  assert.equal(lines.filter((line) => line === '# TYPE gatehouse_http_requests_total counter').length, 1);
  assert.equal(lines.filter((line) => line === '# TYPE gatehouse_http_request_duration_seconds histogram').length, 1);
});

test('label values are escaped as the text format requires', () => {
  const metrics = new RequestMetrics([1]);
  metrics.observe('GET', 'a"b\\c\nd', 404, 0.1);
  assert.ok(metrics.exposition().includes('route="a\\"b\\\\c\\nd"'));
});

test('no requests yet: the metric families are still declared, with no samples', () => {
  const text = new RequestMetrics([1]).exposition();
  assert.match(text, /# TYPE gatehouse_http_requests_total counter/);
  assert.doesNotMatch(text, /_bucket/);
});
