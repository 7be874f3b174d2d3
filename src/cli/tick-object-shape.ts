// Keeps Node's `process.nextTick` on V8's fast path for the life of the process. Imported
// first by the `gatehouse` command, before any other module is loaded.
//
// Why: Node builds each tick as the object literal
//   { [async_id_symbol]: id, [trigger_async_id_symbol]: id, callback, args }
// and V8 caches, at each of the literal's four property definitions, the hidden class
// ("map") the object has at that step. The maps after the first step are held only weakly:
// when a full garbage collection finds no tick object alive (between ticks, which is most
// of the time while modules load), it frees them, and the next tick builds new ones. Each
// rebuild is a map those caches have not seen; after four they give up (megamorphic) for
// good, and every tick from then on is built in V8's runtime, property by property (the
// mechanism as far as we could observe it; the evidence is in bench/README.md).
// Node's HTTP server makes about ten ticks per request. A node that starts this way does
// about 35% more instructions per session validation for as long as it runs; in December
// 2026 about one start in five did (`bench/README.md`, sixth pass). A bare Fastify process
// loads far less code, collects less often while starting, and was never seen so.
//
// What: one object of the same shape, built here and kept forever, holds those maps alive,
// so they are built once. The ids are fractional because Node's come from a Float64Array
// and V8 keeps them as doubles: the holder starts with the field representation the ticks
// end with, instead of small-integer fields that the first double would generalise. The
// symbols are Node's own, read off an AsyncResource (public API), which carries both.
// Should a later Node not have them, this does nothing.
import { AsyncResource } from 'node:async_hooks';

function pinTickObjectShape(): object | undefined {
  const symbols = Object.getOwnPropertySymbols(new AsyncResource('gatehouse.tick-shape'));
  const asyncId = symbols.find((symbol) => symbol.description === 'async_id_symbol');
  const triggerAsyncId = symbols.find((symbol) => symbol.description === 'trigger_async_id_symbol');
  if (asyncId === undefined || triggerAsyncId === undefined) return undefined;
  // Same keys in the same order as Node's literal (lib/internal/process/task_queues.js).
  return { [asyncId]: 0.5, [triggerAsyncId]: 0.5, callback: pinTickObjectShape, args: undefined };
}

/** The object that holds the tick maps; exported so tests can compare shapes. */
export const tickShapeHolder = pinTickObjectShape();
