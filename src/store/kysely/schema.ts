// Table shapes as Kysely sees them. Portable column types only (text, integer, bigint) so
// one set of queries serves SQLite and PostgreSQL: booleans are 0/1, JSON is text, times
// are epoch milliseconds.

export interface DatabasesTable {
  name: string;
  created_at: number;
}

export interface UsersTable {
  database: string;
  id: string;
  username: string;
  username_key: string;
  email: string;
  full_name: string | null;
  role: string;
  privileges: string; // JSON array
  status: string;
  ban_until: number | null;
  flagged: number;
  password_hash: string;
  last_login: number | null;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  database: string;
  id: string;
  token_digest: string;
  user_id: string;
  user_name: string | null;
  active: number;
  open_time: number;
  request_time: number;
  close_time: number | null;
  expires_at: number;
  address: string | null;
  client: string | null;
  node_id: string | null;
  user_info: string | null; // JSON
  data: string | null; // JSON
  mfa: number;
}

export interface AuditEventsTable {
  id: number | undefined; // generated
  database: string;
  at: number;
  type: string;
  actor: string | null;
  target: string | null;
  address: string | null;
  node_id: string;
  details: string | null; // JSON
}

export interface ServiceKeysTable {
  name: string;
  database: string;
  key_digest: string;
  created_at: number;
  revoked_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  public_jwk: string; // JSON
  sealed_private_key: string;
  created_at: number;
  retired_at: number | null;
}

export interface TotpCredentialsTable {
  database: string;
  user_id: string;
  sealed_secret: string;
  enabled: number;
  last_step: number;
  created_at: number;
}

export interface DatabaseSelectionsTable {
  session_id: string;
  database: string;
  selected_at: number;
}

export interface FlagsTable {
  database: string;
  user_id: string;
  reporter_id: string;
  reason: string | null;
  flagged_at: number;
}

export interface ResetCodesTable {
  database: string;
  id: string;
  user_id: string;
  code_digest: string;
  created_at: number;
  expires_at: number;
  failed_attempts: number;
  used_at: number | null;
}

export interface Schema {
  databases: DatabasesTable;
  users: UsersTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  service_keys: ServiceKeysTable;
  signing_keys: SigningKeysTable;
  totp_credentials: TotpCredentialsTable;
  database_selections: DatabaseSelectionsTable;
  flags: FlagsTable;
  reset_codes: ResetCodesTable;
}
