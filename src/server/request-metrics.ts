// HTTP request counts and latencies per route, kept in plain counters and written out in
// Prometheus' text format when scraped. prom-client's labelled Counter and Histogram hash
// their label values on every observation, also through a cached label child: on the
// validation route that was about a tenth of the request's own work. Here a request costs
// three Map look-ups on strings V8 has already hashed (the method, the route pattern, the
// status) and a short bucket search.

const requestCounter = { name: 'gatehouse_http_requests_total', help: 'HTTP requests by route and status.' };
const requestDuration = { name: 'gatehouse_http_request_duration_seconds', help: 'HTTP request latency by route.' };

/** One (method, route) pair: its latency histogram and its count per status. */
interface RouteSeries {
  /** Observations at or below each bucket's bound, not yet cumulative. */
  readonly buckets: number[];
  sum: number;
  count: number;
  readonly byStatus: Map<number, number>;
}

/** A label value in the text format: backslash, double quote and newline escaped. */
const labelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** A number as Prometheus writes it. */
const sample = (value: number): string => (Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN');

export class RequestMetrics {
  private readonly series = new Map<string, Map<string, RouteSeries>>();

  /** @param bounds upper bounds of the latency buckets, in seconds, ascending */
  constructor(private readonly bounds: readonly number[]) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    let routes = this.series.get(method);
    if (routes === undefined) this.series.set(method, (routes = new Map()));
    let series = routes.get(route);
    if (series === undefined) {
      series = { buckets: this.bounds.map(() => 0), sum: 0, count: 0, byStatus: new Map() };
      routes.set(route, series);
    }
    series.byStatus.set(status, (series.byStatus.get(status) ?? 0) + 1);
    series.count++;
    series.sum += seconds;
    const { bounds } = this;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++;
    if (bucket < bounds.length) series.buckets[bucket]!++; // above the last bound: +Inf only, which is the count
  }

  /** Both metrics in the Prometheus text exposition format, each line ending in a newline. */
  exposition(): string {
    const counts: string[] = [`# HELP ${requestCounter.name} ${requestCounter.help}`, `# TYPE ${requestCounter.name} counter`];
    const latency: string[] = [`# HELP ${requestDuration.name} ${requestDuration.help}`, `# TYPE ${requestDuration.name} histogram`];
    for (const [method, routes] of this.series) {
      for (const [route, series] of routes) {
        const labels = `method="${labelValue(method)}",route="${labelValue(route)}"`;
        for (const [status, count] of series.byStatus) counts.push(`${requestCounter.name}{${labels},status="${status}"} ${count}`);
        let cumulative = 0;
        this.bounds.forEach((bound, i) => {
          cumulative += series.buckets[i]!;
          latency.push(`${requestDuration.name}_bucket{le="${sample(bound)}",${labels}} ${cumulative}`);
        });
        latency.push(`${requestDuration.name}_bucket{le="+Inf",${labels}} ${series.count}`);
        latency.push(`${requestDuration.name}_sum{${labels}} ${sample(series.sum)}`);
        latency.push(`${requestDuration.name}_count{${labels}} ${series.count}`);
      }
    }
    return `${counts.join('\n')}\n\n${latency.join('\n')}\n`;
  }
}
