// Fills a store before its server starts: login users and N live sessions whose tokens
// follow tokens.ts. Rows go in through the store's Kysely instance as multi-row INSERTs
// inside large transactions, which on SQLite takes seconds per million rows instead of
// the hours one request per session would.
import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import { loadConfig } from '../../src/config.js';
import { PasswordHasher } from '../../src/credentials/passwords.js';
import type { SessionsTable, UsersTable } from '../../src/store/kysely/schema.js';
import type { Shape } from '../shapes/shape.js';
import { benchTokenDigest, loginPassword, loginUserName, sessionOwnerId } from './tokens.js';

export interface SeedPlan {
  sessions: number;
  loginUsers: number;
}

// 10 columns per session row: 3,000 rows stay under SQLite's 32,766 bound parameters.
const rowsPerStatement = 3000;
const statementsPerTransaction = 20;

function userRow(id: string, username: string, passwordHash: string, now: number): Insertable<UsersTable> {
  return {
    database: 'main',
    id,
    username,
    username_key: username.toLowerCase(),
    email: `${username}@bench.invalid`,
    full_name: null,
    role: 'user',
    privileges: '[]',
    status: 'active',
    ban_until: null,
    flagged: 0,
    password_hash: passwordHash,
    last_login: null,
    created_at: now,
    updated_at: now,
  };
}

export async function seedStore(shape: Shape, dataDir: string, plan: SeedPlan): Promise<{ seconds: number }> {
  const started = performance.now();
  await shape.prepare?.(dataDir);
  const store = shape.open(dataDir);
  try {
    await store.migrate();
    await shape.tuneForBulkLoad?.(store);
    const db = store.kysely;
    const now = Date.now();
    // One real hash with the server's parameters, so a login verifies at full cost and
    // never asks for a rehash.
    const { passwordHash } = loadConfig();
    const hashed = await new PasswordHasher(passwordHash, 1).hash(loginPassword);
    const users = [userRow(sessionOwnerId, 'bench-owner', hashed, now)];
    for (let i = 0; i < plan.loginUsers; i++) users.push(userRow(randomUUID(), loginUserName(i), hashed, now));
    for (let i = 0; i < users.length; i += 500) await db.insertInto('users').values(users.slice(i, i + 500)).execute();

    // Live for the whole run: a far hard end, and last activity now (idle limit 30 min).
    const session = (i: number): Insertable<SessionsTable> => ({
      database: 'main',
      id: randomUUID(),
      token_digest: benchTokenDigest(i),
      user_id: sessionOwnerId,
      user_name: 'bench-owner',
      active: 1,
      open_time: now,
      request_time: now,
      expires_at: now + 30 * 86_400_000,
      mfa: 0,
    });
    const perTransaction = rowsPerStatement * statementsPerTransaction;
    for (let start = 0; start < plan.sessions; start += perTransaction) {
      const end = Math.min(plan.sessions, start + perTransaction);
      await db.transaction().execute(async (trx) => {
        for (let i = start; i < end; i += rowsPerStatement) {
          const rows = Array.from({ length: Math.min(rowsPerStatement, end - i) }, (_, k) => session(i + k));
          await trx.insertInto('sessions').values(rows).execute();
        }
      });
    }
  } finally {
    await store.close();
  }
  return { seconds: (performance.now() - started) / 1000 };
}
