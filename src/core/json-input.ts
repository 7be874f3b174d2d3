// Client JSON enters here, on every surface (HTTP bodies today; WebSocket frames and AMQP
// messages use the same function). The checks run once, where the text is parsed, so no
// code further in ever meets a value it cannot carry back out: nesting deeper than the
// limit, text that is not well-formed Unicode, numbers JSON cannot represent, or keys
// that would poison an object's prototype.
import { fail } from './errors.js';

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * The deepest nesting of arrays and objects in a JSON text, stopping as soon as it passes
 * `limit`. A scan of the characters, not a parse: no recursion and no allocation, so a
 * 10,000-level body costs what its length costs and nothing more. Brackets inside strings
 * do not count; the text is assumed to be JSON (JSON.parse judges that afterwards).
 */
export function exceedsDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

// A high surrogate not followed by a low one, or a low one without a high one before it.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a string is well-formed UTF-16, i.e. can be written as UTF-8 and read back. */
export function isWellFormedText(text: string): boolean {
  return !loneSurrogate.test(text);
}

class InputRefused extends Error {
  constructor(
    readonly reason: string,
    readonly path: string,
  ) {
    super(reason);
  }
}

/** JSON.parse's reviver: sees every key and value once, children before parents. */
function screen(this: unknown, key: string, value: unknown): unknown {
  if (!isWellFormedText(key)) throw new InputRefused('a key is not well-formed Unicode (it holds a lone surrogate)', key);
  if (typeof value === 'string') {
    if (!isWellFormedText(value)) throw new InputRefused('a text is not well-formed Unicode (it holds a lone surrogate)', key);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InputRefused('a number is too large for JSON to carry', key);
  } else if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype'))) {
    throw new InputRefused('the key would change an object prototype', key);
  }
  return value;
}

export interface JsonInputLimits {
  /** Deepest nesting of arrays and objects accepted (BODY_MAX_DEPTH). */
  maxDepth: number;
}

/**
 * Parses client JSON, refusing with `validation_failed` what is malformed or what the
 * checks above forbid. `where` names the input in messages ("body", "frame", "message").
 */
export function parseJsonInput(text: string, limits: JsonInputLimits, where = 'body'): unknown {
  if (exceedsDepth(text, limits.maxDepth)) {
    fail('validation_failed', {
      message: `${where}: nested deeper than ${limits.maxDepth} levels`,
      details: { errors: [{ path: '/', message: `nested deeper than ${limits.maxDepth} levels` }], max_depth: limits.maxDepth },
    });
  }
  try {
    return JSON.parse(text, screen);
  } catch (err) {
    if (err instanceof InputRefused) {
      fail('validation_failed', { message: `${where}: ${err.reason}`, details: { errors: [{ path: '/', message: err.reason }] } });
    }
    fail('validation_failed', { message: `The ${where} is not valid JSON.` });
  }
}
