// `gatehouse migrate` as operators run it (a child process on a SQLite data directory):
// --plan says what would run and runs nothing, migrate applies it, and a schema migrated
// by a newer release is refused by both migrate and serve with exit code 1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { migrationProvider, sqliteMigrationDialect } from '../../src/store/migrations/index.js';

const root = new URL('../../', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-migrate-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const known = Object.keys(await migrationProvider(sqliteMigrationDialect).getMigrations()).sort();

function gatehouse(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, GATEHOUSE_DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', PORT: '0', LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('--plan lists what would run and runs nothing; migrate runs it; then the plan is empty', () => {
  const plan = gatehouse('migrate', '--plan', '--json');
  assert.equal(plan.code, 0, plan.stderr);
  assert.deepEqual(JSON.parse(plan.stdout), { applied: [], pending: known, unknown: [] });
  assert.deepEqual(JSON.parse(gatehouse('migrate', '--plan', '--json').stdout).pending, known, 'the plan ran nothing');
  const text = gatehouse('migrate', '--plan');
  assert.match(text.stdout, new RegExp(`Would apply: ${known.join(', ')}`));

  const applied = gatehouse('migrate', '--json');
  assert.equal(applied.code, 0, applied.stderr);
  assert.deepEqual(JSON.parse(applied.stdout), { applied: known });
  assert.deepEqual(JSON.parse(gatehouse('migrate', '--plan', '--json').stdout), { applied: known, pending: [], unknown: [] });
  assert.match(gatehouse('migrate', '--plan').stdout, /up to date; nothing would run/);
});

test('a schema with a migration this release does not know is refused by migrate and serve', () => {
  assert.equal(gatehouse('migrate').code, 0);
  const db = new Database(join(dataDir, 'gatehouse.db'));
  db.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('9999_from_the_future', new Date().toISOString());
  db.close();

  const plan = gatehouse('migrate', '--plan', '--json');
  assert.equal(plan.code, 1);
  assert.deepEqual(JSON.parse(plan.stdout).unknown, ['9999_from_the_future']);
  const migrate = gatehouse('migrate');
  assert.equal(migrate.code, 1);
  assert.match(migrate.stderr, /9999_from_the_future.*newer Gatehouse/);
  const serve = gatehouse('serve');
  assert.equal(serve.code, 1, 'serve must not start');
  assert.match(serve.stderr, /migrations this release does not know \(9999_from_the_future\)/);
});
