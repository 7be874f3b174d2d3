// parseJsonInput parses plain texts without its reviver: these check that the shortcut
// refuses exactly what the reviver refuses, on texts built to hit every check from both
// sides (escaped and literal, inside strings and as keys, numbers at the overflow edge).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { GatehouseError } from '../../src/core/errors.js';
import { exceedsDepth, parseJsonInput } from '../../src/core/json-input.js';

const limits = { maxDepth: 32 };

/** What the input check must refuse, found by walking the parsed value (the oracle). */
function refusable(key: string, value: unknown): boolean {
  if (!key.isWellFormed()) return true;
  if (typeof value === 'string') return !value.isWellFormed();
  if (typeof value === 'number') return !Number.isFinite(value);
  if (key === '__proto__') return true;
  if (typeof value !== 'object' || value === null) return false;
  if (key === 'constructor' && Object.hasOwn(value, 'prototype')) return true;
  return Object.entries(value).some(([k, v]) => refusable(k, v));
}

function outcome(text: string): unknown {
  try {
    return { parsed: parseJsonInput(text, limits) };
  } catch (err) {
    assert.ok(err instanceof GatehouseError && err.code === 'validation_failed', String(err));
    return 'refused';
  }
}

const tricky = fc.constantFrom('__proto__', 'constructor', 'prototype', 'a', 'e', '\ud800', '\udc00', '\ud83d\ude00', 'x\\y', '"q"');
const key = fc.oneof(tricky, fc.string({ maxLength: 4 }));
const text = fc.oneof(tricky, fc.string({ unit: fc.constantFrom('a', 'E', '1', '\ud800', '\udc00', '\ud83d', '\ude00', '\\', '"', '\u0000'), maxLength: 6 }));
// Numbers as JSON text, around the largest double and with exponents.
const numberText = fc.oneof(
  fc.constantFrom('1e308', '2e308', '1e999', '-1e999', '1E400', '1e-400', '1.5e3', '0', '-0.25', '9'.repeat(308), '9'.repeat(309), `1.${'0'.repeat(400)}`),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
);
// A JSON text: strings written either escaped (JSON.stringify escapes lone surrogates) or
// raw (the character itself in the text, as a decoded body may hold it).
const raw = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\u0000', '\\u0000')}"`;
const stringText = fc.oneof(text.map((s) => JSON.stringify(s)), text.map(raw));
const keyText = fc.oneof(key.map((s) => JSON.stringify(s)), key.map(raw));
const jsonText = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    numberText,
    stringText,
    fc.constantFrom('true', 'false', 'null'),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(keyText, tie('value')), { maxLength: 3 }).map((entries) => `{${entries.map(([k, v]) => `${k}:${v}`).join(',')}}`),
  ),
})).value;

test('refuses exactly what the reviver would, whether or not a text is parsed without it', () => {
  fc.assert(
    fc.property(jsonText, (json) => {
      const expected = refusable('', JSON.parse(json)) ? 'refused' : { parsed: JSON.parse(json) };
      assert.deepEqual(outcome(json), expected);
    }),
    { numRuns: 5000 },
  );
});

test('each check is reached by a text that looks plain and by its escaped form', () => {
  const refused = [
    '{"a":"\ud800"}', // a raw lone surrogate: no escape in the text
    '{"a":"\\ud800"}',
    '{"\udc00":1}',
    '{"__proto__":{"admin":true}}',
    '{"\\u005f_proto__":{"admin":true}}',
    '{"constructor":{"prototype":{}}}',
    '{"constructor":{"\\u0070rototype":{}}}',
    '{"n":1e999}',
    `{"n":${'9'.repeat(309)}}`,
    `[${'9'.repeat(400)}]`,
  ];
  for (const json of refused) assert.equal(outcome(json), 'refused', json);
  const accepted = ['{"n":1e308}', `{"n":${'9'.repeat(308)}}`, '{"n":1e-400}', '{"s":"__proto__ prototype 1e999"}', '{"prototype":1}', '{"__proto__":"text"}'];
  for (const json of accepted) assert.deepEqual(outcome(json), { parsed: JSON.parse(json) }, json);
});

test('nesting is measured outside strings only, and stops at the limit', () => {
  assert.equal(exceedsDepth('[[[1]]]', 3), false);
  assert.equal(exceedsDepth('[[[[1]]]]', 3), true);
  assert.equal(exceedsDepth('["[[[[[[["]', 3), false);
  assert.equal(exceedsDepth('["\\"[[[[[[["]', 3), false);
  assert.throws(() => parseJsonInput('['.repeat(10_000), limits), (err: unknown) => err instanceof GatehouseError && err.code === 'validation_failed');
});
