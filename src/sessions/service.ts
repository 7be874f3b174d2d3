// The session core shared by every surface: open (with the per-user limit), validate
// (the hot path), close, and close-all for account events. One session model: a cookie
// session, a sessions-service session and an RPC session are all rows of this kind.
import type { Config, SessionLimitPolicy } from '../config.js';
import type { Clock } from '../core/clock.js';
import { fail } from '../core/errors.js';
import type { MaybeAsync } from '../core/maybe-async.js';
import { digestSecret, newId, newSecret } from '../core/ids.js';
import type { Bus } from '../bus/ports.js';
import type { ClosedSession, Repositories, SessionContent, SessionFilter, SessionRecord, Store, UserRecord } from '../store/ports.js';
import { UserCache } from '../accounts/user-cache.js';
import { ActivityRecorder } from './activity.js';
import { SessionCache, type LiveSession } from './cache.js';

export interface SessionRules {
  absoluteTtlMs: number;
  idleTtlMs: number;
  limitPerUser: number;
  limitPolicy: SessionLimitPolicy;
  /** The most JSON bytes a session's `data` (or `user`) may hold. */
  dataLimitBytes: number;
}

export interface OpenSessionRequest {
  database: string;
  userId: string;
  userName: string | null;
  address: string | null;
  client: string | null;
  nodeId?: string | null;
  user?: unknown;
  data?: unknown;
  mfa?: boolean;
}

export interface OpenedSession {
  session: SessionRecord;
  /** The secret the client presents; returned once, stored only as a digest. */
  token: string;
  /** Sessions closed to make room under the `replace` policy. */
  replaced: ClosedSession[];
}

export class SessionService {
  readonly cache: SessionCache;
  readonly activity: ActivityRecorder;
  /** The users that signed-in requests read; evicted by `afterUserChanged` here and on the bus. */
  readonly users: UserCache;

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly clock: Clock,
    readonly rules: SessionRules,
    cacheSize: number,
    cacheBytes?: number,
    userCacheSize = 10_000,
  ) {
    this.cache = new SessionCache(cacheSize, cacheBytes);
    this.users = new UserCache(store, bus, userCacheSize);
    this.activity = new ActivityRecorder(store);
    bus.onSessionsClosed(({ tokenDigests }) => {
      for (const digest of tokenDigests) this.cache.evict(digest);
    });
    bus.onDatabaseDeleted(({ database }) => this.forgetDatabase(database));
    bus.onReset(() => this.cache.clear());
  }

  static fromConfig(store: Store, bus: Bus, clock: Clock, config: Config['session']): SessionService {
    return new SessionService(store, bus, clock, config, config.cacheSize, config.cacheBytes, config.userCacheSize);
  }

  /** Drops what this node caches of a deleted database: its sessions and its users. */
  forgetDatabase(database: string): void {
    this.cache.evictDatabase(database);
    this.users.clear();
  }

  /** Last activity, counting touches not yet flushed. */
  private lastActivity(session: LiveSession): number {
    const pending = this.activity.lastSeen(session.id);
    return pending !== undefined && pending > session.requestTime ? pending : session.requestTime;
  }

  /** Whether a session that is still marked active has run out (hard end or idle). */
  isLive(session: LiveSession, now = this.clock.now()): boolean {
    return session.active && now < session.expiresAt && now - this.lastActivity(session) < this.rules.idleTtlMs;
  }

  /**
   * Opens a session. `alongside` writes what belongs with it (a login's last-login time and
   * audit line) in the same transaction: one commit instead of three, which is most of a
   * login's work on the event loop besides the hash.
   */
  async open(request: OpenSessionRequest, alongside?: (tx: Repositories, session: SessionRecord) => Promise<void>): Promise<OpenedSession> {
    const now = this.clock.now();
    const token = newSecret();
    const session: SessionRecord = {
      database: request.database,
      id: newId(),
      tokenDigest: digestSecret(token),
      userId: request.userId,
      userName: request.userName,
      active: true,
      openTime: now,
      requestTime: now,
      closeTime: null,
      expiresAt: now + this.rules.absoluteTtlMs,
      address: request.address,
      client: request.client,
      nodeId: request.nodeId ?? null,
      user: request.user ?? null,
      data: request.data ?? null,
      mfa: request.mfa ?? false,
    };
    const replaced = await this.store.transaction(async (tx) => {
      const closed = await this.makeRoom(tx, request.database, request.userId, now);
      await tx.sessions.insert(session);
      await alongside?.(tx, session);
      return closed;
    });
    await this.afterClose(replaced);
    if (this.bus.healthy) this.cache.set(session);
    return { session, token, replaced };
  }

  /** Enforces the per-user limit inside the opening transaction; returns what it closed. */
  private async makeRoom(tx: Repositories, database: string, userId: string, now: number): Promise<ClosedSession[]> {
    const { limitPerUser, limitPolicy } = this.rules;
    if (limitPerUser === 0) return [];
    await tx.sessions.lockUser(database, userId);
    const active = await tx.sessions.listActiveForUser(database, userId);
    const stale = active.filter((s) => !this.isLive(s, now));
    const live = active.filter((s) => this.isLive(s, now));
    const toClose = stale.map((s) => s.id);
    if (live.length >= limitPerUser) {
      if (limitPolicy === 'reject') fail('session_limit');
      // Oldest first: listActiveForUser orders by open time.
      toClose.push(...live.slice(0, live.length - limitPerUser + 1).map((s) => s.id));
    }
    return toClose.length > 0 ? tx.sessions.close(database, toClose, now) : [];
  }

  /**
   * The hot path: digest, cache, at most one indexed read, no write. Returns the live
   * session or undefined; a session found expired or idle is closed on the spot.
   * Synchronous for a live session this node trusts its cached copy of.
   */
  validate(token: string, database: string): MaybeAsync<LiveSession | undefined> {
    if (token.length === 0 || token.length > 512) return undefined;
    const digest = digestSecret(token);
    return this.check(this.cache.get(digest), database, () => this.store.sessions.findByTokenDigest(digest));
  }

  /**
   * The same check for a credential that names its session by id (an access token): the
   * same cache, the same exactness, so closing a session stops its tokens at once.
   */
  validateById(database: string, id: string): MaybeAsync<LiveSession | undefined> {
    return this.check(this.cache.getById(id), database, () => this.store.sessions.findById(database, id));
  }

  /**
   * The cached copy is trusted only while the bus is healthy (else every close on another
   * node could be missed); a store read that raced with an eviction is not cached.
   */
  private check(cached: LiveSession | undefined, database: string, read: () => Promise<SessionRecord | undefined>): MaybeAsync<LiveSession | undefined> {
    const trusted = this.bus.healthy;
    return trusted && cached !== undefined ? this.checkLive(cached, database, read) : this.checkStored(trusted, database, read);
  }

  private async checkStored(trusted: boolean, database: string, read: () => Promise<SessionRecord | undefined>): Promise<LiveSession | undefined> {
    const generation = this.cache.generation;
    const stored = await read();
    if (stored === undefined || !stored.active) return undefined;
    const session = (trusted && this.bus.healthy ? this.cache.setIfUnchanged(stored, generation) : undefined) ?? stored;
    return this.checkLive(session, database, read);
  }

  /** The session's database and liveness; one that looks dead is rechecked in the store. */
  private checkLive(session: LiveSession, database: string, read: () => Promise<SessionRecord | undefined>): MaybeAsync<LiveSession | undefined> {
    if (session.database !== database) return undefined;
    const now = this.clock.now();
    if (this.isLive(session, now)) {
      this.touch(session, now);
      return session;
    }
    return this.recheckIdle(session, read, now).then((current) => {
      if (current !== undefined) this.touch(current, now);
      return current;
    });
  }

  /**
   * A session that looks dead to this node: a cached copy may miss activity that another
   * node saw and flushed, so the store decides before anything is closed. Returns the
   * session if it lives after all, else closes it (when it is still open) and returns undefined.
   */
  private async recheckIdle(seen: LiveSession, read: () => Promise<SessionRecord | undefined>, now: number): Promise<LiveSession | undefined> {
    const stored = now < seen.expiresAt ? await read() : seen;
    if (stored === undefined || !stored.active) {
      this.cache.evict(seen.tokenDigest);
      return undefined;
    }
    if (!this.isLive(stored, now)) {
      await this.close(stored.database, [stored.id]);
      return undefined;
    }
    return (this.bus.healthy ? this.cache.set(stored) : undefined) ?? stored;
  }

  find(database: string, id: string): Promise<SessionRecord | undefined> {
    return this.store.sessions.findById(database, id);
  }

  /** Active sessions of a user, oldest first, with activity not yet flushed applied. */
  async listActiveForUser(database: string, userId: string): Promise<SessionRecord[]> {
    const sessions = await this.store.sessions.listActiveForUser(database, userId);
    return sessions.map((s) => ({ ...s, requestTime: this.lastActivity(s) }));
  }

  /**
   * The database a session token's session belongs to, live or not. A protocol that names
   * no database (the RPC) asks this before validating, so an active session read here is
   * cached exactly as `validate` would cache it: the validation that follows finds it
   * instead of reading the store a second time.
   */
  async databaseOfToken(token: string): Promise<string | undefined> {
    if (token.length === 0 || token.length > 512) return undefined;
    const digest = digestSecret(token);
    const trusted = this.bus.healthy;
    const cached = trusted ? this.cache.get(digest) : undefined;
    if (cached !== undefined) return cached.database;
    const generation = this.cache.generation;
    const stored = await this.store.sessions.findByTokenDigest(digest);
    if (stored?.active && trusted && this.bus.healthy) this.cache.setIfUnchanged(stored, generation);
    return stored?.database;
  }

  /** Finds a session by token whether or not it is still live (for logout). */
  async findByToken(token: string, database: string): Promise<LiveSession | undefined> {
    const digest = digestSecret(token);
    const cached = this.bus.healthy ? this.cache.get(digest) : undefined;
    const session = cached ?? (await this.store.sessions.findByTokenDigest(digest));
    return session?.database === database ? session : undefined;
  }

  touch(session: LiveSession, at = this.clock.now()): void {
    session.requestTime = at;
    this.activity.touch(session.database, session.id, at);
  }

  async close(database: string, ids: readonly string[]): Promise<ClosedSession[]> {
    const closed = await this.store.sessions.close(database, ids, this.clock.now());
    await this.afterClose(closed);
    return closed;
  }

  /** Closes every active session of a user, optionally sparing the one making the change. */
  async closeAllForUser(database: string, userId: string, exceptId?: string, tx?: Repositories): Promise<ClosedSession[]> {
    const closed = await (tx ?? this.store).sessions.closeAllForUser(database, userId, this.clock.now(), exceptId);
    // Inside a caller's transaction the eviction must wait for the commit: see afterClose.
    if (tx === undefined) await this.afterClose(closed);
    return closed;
  }

  /** Evicts closed sessions here and tells the other nodes to do the same. */
  async afterClose(closed: readonly ClosedSession[]): Promise<void> {
    if (closed.length === 0) return;
    for (const session of closed) {
      this.cache.evict(session.tokenDigest);
      this.activity.forget(session.id);
    }
    await this.bus.publishSessionsClosed({ tokenDigests: closed.map((s) => s.tokenDigest) });
  }

  /**
   * After any committed change of a user record (profile, role, privileges, status,
   * password, last login, deletion): evicts the sessions it closed and the cached user
   * here, and tells other nodes to drop what they cache about the user.
   */
  async afterUserChanged(database: string, userId: string, closed: readonly ClosedSession[] = []): Promise<void> {
    this.users.evict(database, userId);
    await this.afterClose(closed);
    await this.bus.publishUserChanged({ database, userId });
  }

  /** One sweep: writes pending activity, then closes expired and idle sessions in batches. */
  async sweep(batchSize = 1000): Promise<number> {
    await this.activity.flush();
    const now = this.clock.now();
    let total = 0;
    for (;;) {
      const closed = await this.store.sessions.closeStale(now, now - this.rules.idleTtlMs, batchSize);
      await this.afterClose(closed);
      total += closed.length;
      if (closed.length < batchSize) return total;
    }
  }

  // The sessions service surface (SPEC §4) reads and edits session records by id.

  get dataLimitBytes(): number {
    return this.rules.dataLimitBytes;
  }

  /**
   * A session as clients are told about it: unflushed activity applied, and one that ran
   * out but awaits the sweeper shown closed (at the moment it ran out), as the sweeper
   * will leave it — so no client ever sees a dead session reported live.
   */
  reported(session: SessionRecord, now = this.clock.now()): SessionRecord {
    const requestTime = this.lastActivity(session);
    if (!session.active || this.isLive(session, now)) return { ...session, requestTime };
    const endedAt = Math.min(session.expiresAt, requestTime + this.rules.idleTtlMs);
    return { ...session, requestTime, active: false, closeTime: endedAt, user: null, data: null };
  }

  /**
   * One page of a database's sessions, newest first. Filtering on `active` first closes what
   * has run out, so that the store's filter, the count and the reported state agree.
   */
  async page(database: string, filter: SessionFilter, skip: number, take: number, withTotal: boolean): Promise<{ items: SessionRecord[]; total: number | null }> {
    if (filter.active !== undefined) await this.sweep();
    const page = await this.store.sessions.page(database, filter, skip, take, withTotal);
    const now = this.clock.now();
    return { items: page.items.map((s) => this.reported(s, now)), total: page.total };
  }

  /**
   * Replaces a live session's `data` or `user` value; storing counts as activity. A closed
   * session is a conflict.
   */
  async storeContent(database: string, id: string, content: SessionContent): Promise<SessionRecord> {
    const now = this.clock.now();
    const stored = await this.store.transaction(async (tx) => {
      const session = (await tx.sessions.findById(database, id)) ?? fail('not_found', { message: 'No session with this id.' });
      if (!this.isLive(session, now)) fail('conflict', { message: 'The session is closed; its data can no longer change.' });
      return (await tx.sessions.updateContent(database, id, content, now)) ?? fail('not_found', { message: 'No session with this id.' });
    });
    // The in-memory time is what idle checks read first (see lastActivity).
    this.activity.touch(database, id, now);
    return this.reported(stored, now);
  }

  /** Removes a session record for good; if it was live it stops working on every node at once. */
  async delete(database: string, id: string): Promise<SessionRecord | undefined> {
    const deleted = await this.store.sessions.delete(database, id);
    if (deleted === undefined) return undefined;
    const asItWas = this.reported(deleted); // before afterClose forgets its activity
    await this.afterClose([{ database, id, tokenDigest: deleted.tokenDigest, userId: deleted.userId }]);
    return asItWas;
  }

  /** The local user a session would belong to; undefined for an external user id. */
  localUser(database: string, userId: string): Promise<UserRecord | undefined> {
    return this.users.find(database, userId);
  }
}
