// A phase measures one or more figures. Adding a figure is one more phase file and one
// line in index.ts; phases get everything they need from the context.
import type { BenchContext } from '../lib/context.js';
import type { Figure } from '../lib/figures.js';

export interface Phase {
  name: string;
  /** The figure names it produces, for --only and the README. */
  figures: readonly string[];
  run(ctx: BenchContext): Promise<Figure[]>;
}
