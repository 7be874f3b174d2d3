// Storage ports: what the domain needs from persistence, in domain words. Every method is
// scoped by database (tenant) except the few that are global by nature (token and key
// digests are unique across the service; the sweeper walks all databases).
// Times are milliseconds since the epoch; surfaces format them.
import type { Role } from '../core/permissions.js';

export type UserStatus = 'active' | 'suspended' | 'banned';

export interface UserRecord {
  database: string;
  id: string;
  username: string;
  /** NFKC + lower case: the form uniqueness and look-ups use. */
  usernameKey: string;
  email: string;
  fullName: string | null;
  role: Role;
  privileges: string[];
  status: UserStatus;
  banUntil: number | null;
  flagged: boolean;
  passwordHash: string;
  lastLogin: number | null;
  createdAt: number;
  updatedAt: number;
}

export type UserChanges = Partial<
  Pick<UserRecord, 'username' | 'usernameKey' | 'email' | 'fullName' | 'role' | 'privileges' | 'status' | 'banUntil' | 'flagged' | 'passwordHash' | 'lastLogin' | 'updatedAt'>
>;

export interface UserRepository {
  /** Throws `username_taken` or `email_taken` on a duplicate. */
  insert(user: UserRecord): Promise<void>;
  findById(database: string, id: string): Promise<UserRecord | undefined>;
  findByUsernameKey(database: string, usernameKey: string): Promise<UserRecord | undefined>;
  findByEmail(database: string, email: string): Promise<UserRecord | undefined>;
  /** Throws `username_taken` or `email_taken` on a duplicate; undefined when there is no such user. */
  update(database: string, id: string, changes: UserChanges): Promise<UserRecord | undefined>;
  delete(database: string, id: string): Promise<boolean>;
}

export interface SessionRecord {
  database: string;
  id: string;
  tokenDigest: string;
  userId: string;
  userName: string | null;
  active: boolean;
  openTime: number;
  requestTime: number;
  closeTime: number | null;
  expiresAt: number;
  address: string | null;
  client: string | null;
  /** The client machine id some protocols send (RPC `nodeID`). */
  nodeId: string | null;
  user: unknown;
  data: unknown;
  mfa: boolean;
}

/** The client-held values of a session; a field left out stays as it is. */
export interface SessionContent {
  data?: unknown;
  user?: unknown;
}

export interface SessionFilter {
  userId?: string;
  active?: boolean;
  fromTime?: number;
  toTime?: number;
}

/** Identifies a closed session well enough to evict it from caches on every node. */
export interface ClosedSession {
  database: string;
  id: string;
  tokenDigest: string;
  userId: string;
}

export interface ActivityUpdate {
  database: string;
  id: string;
  requestTime: number;
}

export interface SessionRepository {
  /**
   * Within a transaction: serialises this user's session-limit checks across connections
   * and nodes until the transaction ends.
   */
  lockUser(database: string, userId: string): Promise<void>;
  insert(session: SessionRecord): Promise<void>;
  findById(database: string, id: string): Promise<SessionRecord | undefined>;
  /** The hot-path read: one indexed look-up by the token's digest. */
  findByTokenDigest(tokenDigest: string): Promise<SessionRecord | undefined>;
  /** Active sessions of a user, oldest first. */
  listActiveForUser(database: string, userId: string): Promise<SessionRecord[]>;
  /** Newest first. `total` is computed only when asked. */
  page(database: string, filter: SessionFilter, skip: number, take: number, withTotal: boolean): Promise<{ items: SessionRecord[]; total: number | null }>;
  /** Closing keeps the record: active false, close time set, user and data cleared. */
  close(database: string, ids: readonly string[], closeTime: number): Promise<ClosedSession[]>;
  closeAllForUser(database: string, userId: string, closeTime: number, exceptId?: string): Promise<ClosedSession[]>;
  /**
   * Closes sessions past their end or idle since before `idleCutoff`, at most `limit` of them,
   * each with the close time at which it ran out.
   */
  closeStale(now: number, idleCutoff: number, limit: number): Promise<ClosedSession[]>;
  recordActivity(updates: readonly ActivityUpdate[]): Promise<void>;
  /** Replaces `data` and/or `user` (any JSON value) and sets the request time. */
  updateContent(database: string, id: string, content: SessionContent, requestTime: number): Promise<SessionRecord | undefined>;
  delete(database: string, id: string): Promise<SessionRecord | undefined>;
  deleteAllForUser(database: string, userId: string): Promise<ClosedSession[]>;
  /** Retention: deletes at most `limit` sessions closed before `cutoff`, in every database; returns how many. */
  purgeClosedBefore(cutoff: number, limit: number): Promise<number>;
}

export interface AuditEvent {
  database: string;
  at: number;
  type: string;
  /** Who acted: a user id, `service:<key name>`, `cli`, or null for anonymous. */
  actor: string | null;
  /** Whom or what it concerned: usually a user id. */
  target: string | null;
  address: string | null;
  nodeId: string;
  details: Record<string, unknown> | null;
}

export interface AuditRepository {
  append(event: AuditEvent): Promise<void>;
  /** Newest first. */
  listForTarget(database: string, target: string, limit: number): Promise<AuditEvent[]>;
  /** Removes every event in which the user is actor or target. */
  deleteForUser(database: string, userId: string): Promise<void>;
  /** Retention: deletes at most `limit` events older than `cutoff`, in every database; returns how many. */
  purgeBefore(cutoff: number, limit: number): Promise<number>;
}

export interface DatabaseRepository {
  exists(name: string): Promise<boolean>;
  list(): Promise<string[]>;
  /** Throws `conflict` when it exists. */
  create(name: string, createdAt: number): Promise<void>;
  /**
   * Removes the database and, in the same statement, everything in it: users, sessions,
   * second factors, service keys, audit events, selections. False when there was none.
   */
  delete(name: string): Promise<boolean>;
}

/** Which database an administrator's session acts on (the RPC `select_database`). */
export interface DatabaseSelectionRepository {
  /** Replaces the session's selection. */
  select(sessionId: string, database: string, at: number): Promise<void>;
  /** The selected database, if any (a selection goes with its session and its database). */
  find(sessionId: string): Promise<string | undefined>;
}

export interface ServiceKeyRecord {
  name: string;
  database: string;
  keyDigest: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface ServiceKeyRepository {
  /** Throws `conflict` when a key with that name exists. */
  insert(key: ServiceKeyRecord): Promise<void>;
  findByDigest(keyDigest: string): Promise<ServiceKeyRecord | undefined>;
  /** Returns the revoked key, or undefined when no active key has that name. */
  revoke(name: string, revokedAt: number): Promise<ServiceKeyRecord | undefined>;
}

/** A key that signs access tokens. The private half is sealed (see credentials/secret-box). */
export interface SigningKeyRecord {
  kid: string;
  algorithm: 'EdDSA';
  /** The public JWK, as published. */
  publicJwk: Record<string, unknown>;
  /** The private key (PKCS #8 PEM), sealed with the service's secret key. */
  sealedPrivateKey: string;
  createdAt: number;
  /** When a newer key took over signing; null while it is current. */
  retiredAt: number | null;
}

export interface SigningKeyRepository {
  insert(key: SigningKeyRecord): Promise<void>;
  /** Every key, newest first. */
  list(): Promise<SigningKeyRecord[]>;
  /** Marks every current key other than `exceptKid` retired at `at`; returns the kids retired. */
  retireAllExcept(exceptKid: string, at: number): Promise<string[]>;
  /** Removes keys retired before `before`; their tokens have all expired. */
  deleteRetiredBefore(before: number): Promise<number>;
  replaceSealedPrivateKey(kid: string, sealed: string): Promise<void>;
}

/** A user's TOTP second factor: pending until a first code confirms it. */
export interface TotpRecord {
  database: string;
  userId: string;
  /** The base32 secret, sealed with the service's secret key. */
  sealedSecret: string;
  enabled: boolean;
  /** The latest time step whose code was accepted; codes of it or earlier are refused. */
  lastStep: number;
  createdAt: number;
}

export interface TotpRepository {
  find(database: string, userId: string): Promise<TotpRecord | undefined>;
  /** Starts (or restarts) an enrolment; refused with `conflict` when one is enabled. */
  put(record: TotpRecord): Promise<void>;
  /**
   * Records `step` as used if it is later than every step used before, atomically (so two
   * nodes cannot both accept one code), and enables a pending enrolment. False: replayed.
   */
  consumeStep(database: string, userId: string, step: number): Promise<boolean>;
  delete(database: string, userId: string): Promise<boolean>;
  /** Every record in every database, for re-sealing after a secret-key rotation. */
  listAll(): Promise<TotpRecord[]>;
  replaceSealedSecret(database: string, userId: string, sealed: string): Promise<void>;
}

/** One user's report of another account; a reporter counts once per account. */
export interface FlagRecord {
  database: string;
  /** The flagged account. */
  userId: string;
  reporterId: string;
  reason: string | null;
  flaggedAt: number;
}

/** A flagged account as moderators review it. */
export interface FlaggedAccount {
  userId: string;
  username: string;
  /** Distinct reporters. */
  flags: number;
  /** The reporters' reasons, oldest first, without repeats. */
  reasons: string[];
  lastFlaggedAt: number;
}

export interface FlagRepository {
  /** Records a report; a reporter flagging the account again replaces their reason and time. */
  put(flag: FlagRecord): Promise<void>;
  /** Every flagged account of the database, most recently flagged first. */
  listFlagged(database: string): Promise<FlaggedAccount[]>;
  /** The reports about one account, oldest first. */
  listForUser(database: string, userId: string): Promise<FlagRecord[]>;
}

/** A password-reset code, kept only as a digest; dead once used, expired or tried too often. */
export interface ResetCodeRecord {
  database: string;
  /** Public id of the reset, as the client sees it. */
  id: string;
  userId: string;
  codeDigest: string;
  createdAt: number;
  expiresAt: number;
  /** Wrong codes tried so far. */
  failedAttempts: number;
  usedAt: number | null;
}

export interface ResetCodeRepository {
  /** Stores a new code and retires every earlier unused one of the user: one live code each. */
  issue(record: ResetCodeRecord): Promise<void>;
  /** The user's unused, unexpired code with fewer than `maxAttempts` failures, if any. */
  findLive(database: string, userId: string, now: number, maxAttempts: number): Promise<ResetCodeRecord | undefined>;
  /** Counts one wrong try; returns the failures recorded so far. */
  recordFailure(database: string, id: string): Promise<number>;
  /** Marks the code used if it is still live; false when another request used or killed it first. */
  consume(database: string, id: string, now: number, maxAttempts: number): Promise<boolean>;
}

export interface Repositories {
  databases: DatabaseRepository;
  users: UserRepository;
  sessions: SessionRepository;
  audit: AuditRepository;
  serviceKeys: ServiceKeyRepository;
  signingKeys: SigningKeyRepository;
  totp: TotpRepository;
  selections: DatabaseSelectionRepository;
  flags: FlagRepository;
  resetCodes: ResetCodeRepository;
}

export interface Store extends Repositories {
  /** Runs `work` in one transaction: all of its writes land, or none. */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * Calls `listener` after every committed change or deletion of a user row made through
   * this store (inside a transaction: after its commit), for in-process caches of users.
   */
  onUserWritten(listener: (database: string, userId: string) => void): void;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
