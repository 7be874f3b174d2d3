// The shapes `npm run bench -- --shape <name>` can choose from.
import type { Shape } from './shape.js';
import { sqliteShape } from './sqlite.js';

export const shapes: Record<string, Shape> = { sqlite: sqliteShape };
export type { Shape };
