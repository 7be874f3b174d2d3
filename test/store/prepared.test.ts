// Statements built once (src/store/kysely/prepared.ts): each call binds its own values,
// constants in the query stay, a transaction runs the same compiled statement on its
// connection, and a placeholder that would end up in the SQL text is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openSqliteStore } from '../../src/store/kysely/sqlite.js';
import { prepared, Statements } from '../../src/store/kysely/prepared.js';

async function withStore(work: (store: ReturnType<typeof openSqliteStore>, statements: Statements) => Promise<void>): Promise<void> {
  const store = openSqliteStore(':memory:');
  try {
    await store.migrate();
    await work(store, new Statements(store.kysely));
  } finally {
    await store.close();
  }
}

const insertDatabase = prepared('database insert', (db, p: { name: string; createdAt: number }) =>
  db.insertInto('databases').values({ name: p.name, created_at: p.createdAt }),
);
// A constant in the query (the `like` pattern) next to a placeholder.
const namesAfter = prepared('database names after', (db, p: { after: string }) =>
  db.selectFrom('databases').select('name').where('name', '>', p.after).where('name', 'like', 't-%').orderBy('name'),
);

test('prepared statements bind each call’s values and keep the query’s own constants', async () => {
  await withStore(async (store, statements) => {
    for (const [i, name] of ['t-a', 't-b', 't-c', 'other'].entries()) await statements.rows(insertDatabase, store.kysely, { name, createdAt: i });
    assert.deepEqual(await statements.rows(namesAfter, store.kysely, { after: 't-a' }), [{ name: 't-b' }, { name: 't-c' }]);
    assert.deepEqual(await statements.rows(namesAfter, store.kysely, { after: 't-b' }), [{ name: 't-c' }]);
    assert.deepEqual(await store.databases.list(), ['main', 'other', 't-a', 't-b', 't-c']);
  });
});

test('a prepared statement is compiled once and runs inside a transaction on its connection', async () => {
  await withStore(async (store, statements) => {
    let builds = 0;
    const counted = prepared('counted insert', (db, p: { name: string }) => {
      builds++;
      return db.insertInto('databases').values({ name: p.name, created_at: 0 });
    });
    await statements.rows(counted, store.kysely, { name: 'kept' });
    // Rolled back with the transaction it ran in: it used the transaction's connection.
    await assert.rejects(
      store.kysely.transaction().execute(async (trx) => {
        await statements.rows(counted, trx, { name: 'rolled-back' });
        throw new Error('abort');
      }),
      /abort/,
    );
    assert.equal(builds, 1);
    assert.deepEqual(await store.databases.list(), ['kept', 'main']);
  });
});

test('a placeholder written into the SQL text instead of bound is refused on first use', async () => {
  await withStore(async (store, statements) => {
    // sql.raw takes its argument as SQL text: the placeholder would run as "[object Object]".
    const raw = prepared('raw name', (db, p: { name: string }) => db.selectFrom('databases').select('name').where('name', '=', sql.raw<string>(p.name)));
    await assert.rejects(statements.rows(raw, store.kysely, { name: 'main' }), /"raw name": name not bound as parameters/);
    // Kysely refuses an object as an immediate value itself; the message names the statement.
    const literal = prepared('literal name', (db, p: { name: string }) => db.selectFrom('databases').select('name').where('name', '=', sql.lit(p.name)));
    await assert.rejects(statements.rows(literal, store.kysely, { name: 'main' }), /"literal name" could not be compiled: invalid immediate value/);
  });
});
