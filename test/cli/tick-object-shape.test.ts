// The tick-shape holder must have exactly the hidden class (V8 map) of the objects Node
// builds for process.nextTick, also after full garbage collections while no tick is alive:
// that is what keeps nextTick's property caches monomorphic (src/cli/tick-object-shape.ts).
// V8's own map comparison needs --allow-natives-syntax, so it runs in a child process.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const probe = `
import { createHook } from 'node:async_hooks';
import { tickShapeHolder } from './src/cli/tick-object-shape.ts';
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');
const nextTickObject = () => {
  let made;
  const hook = createHook({ init(_id, type, _trigger, resource) { if (type === 'TickObject') made ??= resource; } });
  hook.enable();
  process.nextTick(() => {});
  hook.disable();
  return made;
};
const results = [];
for (let round = 0; round < 6; round++) {
  await new Promise((resolve) => setImmediate(resolve)); // no tick object left alive
  globalThis.gc();
  const tick = nextTickObject();
  results.push(tickShapeHolder !== undefined && tick !== undefined && sameMap(tickShapeHolder, tick));
}
console.log(JSON.stringify(results));
`;

test('the tick-shape holder shares its map with every tick object, across full collections', () => {
  const child = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--import', 'tsx', '--input-type=module', '-e', probe], {
    cwd: new URL('../..', import.meta.url),
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout.trim()), [true, true, true, true, true, true]);
});
