// A consistency check of the store at the SQL level, for after adversarial tests: no row of a
// database that no longer exists (a half-deleted tenant), no second factor, flag, reset code
// or database selection without its owner, and no session of a deleted user.
import { sql, type Kysely } from 'kysely';

/** Rows of each check that break it; an empty list means the store is consistent. */
export async function storeInconsistencies(db: Kysely<any>): Promise<string[]> {
  const checks: Record<string, ReturnType<typeof sql<{ n: number }>>> = {
    'rows of a deleted database': sql<{ n: number }>`
      select count(*) as n from (
        select database from users union all select database from sessions union all select database from audit_events
        union all select database from totp_credentials union all select database from flags union all select database from reset_codes
        union all select database from service_keys union all select database from database_selections
      ) as owned where database not in (select name from databases)`,
    'second factors without their user': sql<{ n: number }>`
      select count(*) as n from totp_credentials t where not exists (select 1 from users u where u.database = t.database and u.id = t.user_id)`,
    'flags without their user': sql<{ n: number }>`
      select count(*) as n from flags f where not exists (select 1 from users u where u.database = f.database and u.id = f.user_id)`,
    'reset codes without their user': sql<{ n: number }>`
      select count(*) as n from reset_codes r where not exists (select 1 from users u where u.database = r.database and u.id = r.user_id)`,
    'database selections without their session': sql<{ n: number }>`
      select count(*) as n from database_selections d where not exists (select 1 from sessions s where s.id = d.session_id)`,
    // Sessions may belong to external ids (the sessions service), so a session is an orphan
    // when its user is known to have been deleted: the deletion stays on record by id.
    'sessions of a deleted user': sql<{ n: number }>`
      select count(*) as n from sessions s where exists (
        select 1 from audit_events a where a.database = s.database and a.type = 'account.deleted' and a.target = s.user_id)
      and not exists (select 1 from users u where u.database = s.database and u.id = s.user_id)`,
  };
  const found: string[] = [];
  for (const [what, query] of Object.entries(checks)) {
    const n = Number((await query.execute(db)).rows[0]?.n ?? 0);
    if (n > 0) found.push(`${n} ${what}`);
  }
  return found;
}
