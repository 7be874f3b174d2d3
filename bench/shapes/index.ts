// The shapes `npm run bench -- --shape <name>` can choose from.
import { postgresRedisShape } from './postgres-redis.js';
import type { Shape } from './shape.js';
import { sqliteShape } from './sqlite.js';

export const shapes: Record<string, Shape> = { sqlite: sqliteShape, 'postgres+redis': postgresRedisShape };
export type { Shape };
