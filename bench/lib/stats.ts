// Small statistics over measured samples. Percentiles use the nearest-rank method on the
// exact latencies (autocannon's own histogram rounds to whole milliseconds, too coarse
// for a 5 ms goal).

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** p in [0, 100]; `sorted` must be ascending. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Pools several runs' latencies into one sorted array, so p99 is over all rounds. */
export function pooled(parts: readonly Float64Array[]): Float64Array {
  const total = parts.reduce((n, part) => n + part.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all.sort();
}

export const round = (value: number, digits = 2): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

/** Latencies of answered requests (ms), appended as they come; grows by doubling. */
export class LatencyLog {
  private values = new Float64Array(1 << 16);
  count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  /** The recorded latencies, unsorted (a view, not a copy). */
  get recorded(): Float64Array {
    return this.values.subarray(0, this.count);
  }
}
