// The figure record written to latest.json, and how a figure's ratio and verdict are
// derived from its measurements and targets, in one place so every phase judges alike.
import { median, round } from './stats.js';
import type { LoadSummary } from './load.js';

export interface Figure {
  name: string;
  shape: string;
  value: number | null;
  unit: string;
  baseline_name: string | null;
  baseline_value: number | null;
  ratio: number | null;
  goal: string;
  met: boolean | null;
  /** Which form of the figure, when one name is measured more than one way. */
  variant?: string;
  note?: string;
  /** Secondary readings: latency percentiles, per-round values, goal thresholds. */
  details?: Record<string, unknown>;
}

/** Machine-checkable goals; `goal` is their human wording. */
export interface Targets {
  minRatio?: number;
  maxP99Ms?: number;
  maxValue?: number;
}

export interface FigureInput {
  name: string;
  shape: string;
  variant?: string;
  value: number | null;
  unit: string;
  baselineName?: string | null;
  baselineValue?: number | null;
  /** Per-round ratios of interleaved rounds; their median is the ratio (load.ts pairedRatio). */
  ratioRounds?: number[];
  goal: string;
  targets: Targets;
  p99Ms?: number;
  note?: string;
  details?: Record<string, unknown>;
  /** Answers that were not 2xx, or failed; more than 1% fails the figure. */
  failures?: { bad: number; total: number };
}

export function makeFigure(input: FigureInput): Figure {
  const { value, targets } = input;
  const baselineValue = input.baselineValue ?? null;
  const paired = input.ratioRounds && input.ratioRounds.length > 0 ? median(input.ratioRounds) : undefined;
  const ratio = value !== null && baselineValue ? (paired ?? value / baselineValue) : null;
  const notes = input.note ? [input.note] : [];
  let met: boolean | null = null;
  if (value !== null) {
    met = true;
    if (targets.minRatio !== undefined) met &&= ratio !== null && ratio >= targets.minRatio;
    if (targets.maxP99Ms !== undefined) met &&= input.p99Ms !== undefined && input.p99Ms <= targets.maxP99Ms;
    if (targets.maxValue !== undefined) met &&= value <= targets.maxValue;
    const failures = input.failures;
    if (failures && failures.bad > failures.total * 0.01) {
      met = false;
      notes.push(`${failures.bad} of ${failures.total} requests failed or were refused`);
    }
  }
  return {
    name: input.name,
    shape: input.shape,
    ...(input.variant ? { variant: input.variant } : {}),
    value: value === null ? null : round(value),
    unit: input.unit,
    baseline_name: input.baselineName ?? null,
    baseline_value: baselineValue === null ? null : round(baselineValue),
    ratio: ratio === null ? null : round(ratio, 3),
    goal: input.goal,
    met,
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    details: {
      ...(input.p99Ms !== undefined ? { p99_ms: round(input.p99Ms, 3) } : {}),
      ...(input.ratioRounds ? { ratio_rounds: input.ratioRounds.map((r) => round(r, 3)) } : {}),
      ...(targets.minRatio !== undefined ? { goal_min_ratio: targets.minRatio } : {}),
      ...(targets.maxP99Ms !== undefined ? { goal_max_p99_ms: targets.maxP99Ms } : {}),
      ...(targets.maxValue !== undefined ? { goal_max_value: targets.maxValue } : {}),
      ...input.details,
    },
  };
}

/** The readings of a load summary worth keeping next to a figure. */
export function loadDetails(summary: LoadSummary, prefix = ''): Record<string, unknown> {
  return {
    [`${prefix}p50_ms`]: round(summary.p50, 3),
    [`${prefix}p99_ms`]: round(summary.p99, 3),
    [`${prefix}max_ms`]: round(summary.max, 3),
    [`${prefix}rounds_per_s`]: summary.roundsRps.map((v) => round(v, 1)),
    [`${prefix}requests_ok`]: summary.ok,
    ...(summary.cpuUsPerRequest !== null ? { [`${prefix}server_cpu_us_per_request`]: round(summary.cpuUsPerRequest, 1) } : {}),
    ...(summary.rejected + summary.errors > 0 ? { [`${prefix}status_codes`]: summary.statusCodes, [`${prefix}errors`]: summary.errors } : {}),
  };
}

export const failuresOf = (summary: LoadSummary) => ({ bad: summary.rejected + summary.errors, total: summary.ok + summary.rejected + summary.errors });

/** A figure for a surface that does not exist yet: reported, never judged. */
export function notBuilt(name: string, shape: string, unit: string, goal: string): Figure {
  return { name, shape, value: null, unit, baseline_name: null, baseline_value: null, ratio: null, goal, met: null, note: 'surface not built yet' };
}
