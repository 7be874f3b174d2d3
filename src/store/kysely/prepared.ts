// Statements built once. Kysely builds a query as a tree of frozen nodes and compiles it
// to SQL on every call; on a login (eight statements, ten with its transaction) that was
// about a fifth of the event loop's work beside the hash, more than SQLite spent running
// them. The SQL of a statement does not depend on its values, which are bound
// parameters, so the statements of the hot paths are written once, as ordinary Kysely
// queries over named placeholders, compiled on first use, and each call only puts its
// values where the placeholders were. Both engines run the same compiled text, and on
// SQLite the text is the same string every time, so the statement cache finds it at once.
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Schema } from './schema.js';

/** Stands in for a parameter while a statement is built; never reaches a driver. */
class Placeholder {
  constructor(readonly name: string) {}
}

/** A statement's parameters, by name; each is used in the query as if it were the value. */
type Build<P, R> = (db: Kysely<Schema>, params: P) => Compilable<R>;

interface Template {
  compiled: CompiledQuery;
  /** Per parameter of the SQL: the name of the value to bind, or the constant the query itself holds. */
  slots: ReadonlyArray<{ name: string } | { constant: unknown }>;
}

/** A statement written once: `Statements.rows` compiles it on first use and runs it. */
export class PreparedStatement<P extends object, R> {
  constructor(
    readonly description: string,
    readonly build: Build<P, R>,
  ) {}
}

export function prepared<P extends object, R>(description: string, build: Build<P, R>): PreparedStatement<P, R> {
  return new PreparedStatement(description, build);
}

/**
 * Statements whose shape depends on a key from a small, bounded set (the columns an update
 * sets, the number of ids a close names): one prepared statement per key, made the first
 * time the key is asked for.
 */
export function preparedFamily<K extends string | number, P extends object, R>(description: string, build: (key: K) => Build<P, R>): (key: K) => PreparedStatement<P, R> {
  const members = new Map<K, PreparedStatement<P, R>>();
  return (key) => {
    let statement = members.get(key);
    if (statement === undefined) members.set(key, (statement = prepared(`${description} (${key})`, build(key))));
    return statement;
  };
}

/**
 * The compiled statements of one store. Compiled against the store's own Kysely instance
 * (its dialect decides the SQL) and run on whichever connection a repository holds, the
 * store's or a transaction's.
 */
export class Statements {
  private readonly templates = new Map<object, Template>();

  constructor(private readonly db: Kysely<Schema>) {}

  async rows<P extends object, R>(statement: PreparedStatement<P, R>, on: Kysely<Schema>, params: P): Promise<R[]> {
    const { compiled, slots } = this.templateOf(statement);
    const values = params as Record<string, unknown>;
    const parameters = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      parameters[i] = 'name' in slot ? values[slot.name] : slot.constant;
    }
    const result = await on.executeQuery<R>({ query: compiled.query, queryId: compiled.queryId, sql: compiled.sql, parameters });
    return result.rows;
  }

  private templateOf<P extends object, R>(statement: PreparedStatement<P, R>): Template {
    let template = this.templates.get(statement);
    if (template === undefined) {
      template = compile(this.db, statement);
      this.templates.set(statement, template);
    }
    return template;
  }
}

function compile<P extends object, R>(db: Kysely<Schema>, statement: PreparedStatement<P, R>): Template {
  const placeholders = new Map<string, Placeholder>();
  const params = new Proxy(
    {},
    {
      get(_target, name) {
        if (typeof name !== 'string') return undefined;
        let placeholder = placeholders.get(name);
        if (placeholder === undefined) placeholders.set(name, (placeholder = new Placeholder(name)));
        return placeholder;
      },
    },
  );
  let compiled: CompiledQuery;
  try {
    compiled = statement.build(db, params as P).compile();
  } catch (err) {
    throw new Error(`prepared statement "${statement.description}" could not be compiled: ${(err as Error).message}`, { cause: err });
  }
  const slots = compiled.parameters.map((value) => (value instanceof Placeholder ? { name: value.name } : { constant: value }));
  // A placeholder that Kysely wrote into the SQL text itself (a literal, say) instead of
  // binding it would run with "[object Object]": refused when the statement is first used.
  const bound = new Set(slots.flatMap((slot) => ('name' in slot ? [slot.name] : [])));
  const unbound = [...placeholders.keys()].filter((name) => !bound.has(name));
  if (unbound.length > 0) throw new Error(`prepared statement "${statement.description}": ${unbound.join(', ')} not bound as parameters`);
  return { compiled, slots };
}
