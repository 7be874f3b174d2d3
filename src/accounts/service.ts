// Accounts: registration, password login, profile, self-service update and deletion.
// Login keeps one failure answer and one timing profile for unknown users and wrong
// passwords; account status is revealed only to someone who knows the password. Every
// check of a typed secret goes through the throttle's `guard` (login here, the rest by `guardSecret`).
import type { RequestContext } from '../core/context.js';
import { fail, GatehouseError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { roles, type Permission, type Role } from '../core/permissions.js';
import type { AuditLog } from '../audit/log.js';
import type { PasswordHasher } from '../credentials/passwords.js';
import type { LoginThrottle } from '../credentials/throttle.js';
import type { SessionService, OpenedSession } from '../sessions/service.js';
import type { ClosedSession, Store, UserChanges, UserRecord } from '../store/ports.js';
import type { SecondFactor } from './second-factor.js';
import { banHasEnded, ensureMayOpenSession } from './standing.js';
import { checkNewPassword } from './password-policy.js';
import { normalizeEmail, normalizeFullName, normalizeUsername, usernameKeyOf } from './identity.js';

export interface RegistrationRequest {
  username: string;
  email: string;
  password: string;
  fullName?: string | null;
  role?: Role;
}

export interface LoginRequest {
  /** A username or, when `byEmail`, an email address. */
  login: string;
  byEmail: boolean;
  password: string;
  /** Client machine id some protocols send. */
  nodeId?: string | null;
  /** The current TOTP code; needed once the account has a second factor. */
  totp?: string;
  /** A role the session is asked for; one above the user's is `forbidden`. */
  role?: Role;
}

export interface ProfileChanges {
  username?: string;
  email?: string;
  fullName?: string | null;
  password?: string;
  currentPassword?: string;
  /** The name the caller's protocol gives the new password, for validation messages. */
  passwordField?: string;
}

/** The login-throttle key of an existing account: shared by every check of its secrets. */
export const accountThrottleKey = (database: string, userId: string): string => `${database}:id:${userId}`;

export class AccountService {
  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
    private readonly passwords: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditLog,
    readonly secondFactor: SecondFactor,
  ) {}

  async register(ctx: RequestContext, request: RegistrationRequest): Promise<UserRecord> {
    const { username, usernameKey } = normalizeUsername(request.username);
    const email = normalizeEmail(request.email);
    checkNewPassword(request.password, 'password', { username, email });
    const fullName = normalizeFullName(request.fullName);
    const now = ctx.clock.now();
    const user: UserRecord = {
      database: ctx.database,
      id: newId(),
      username,
      usernameKey,
      email,
      fullName,
      role: request.role ?? 'user',
      privileges: [],
      status: 'active',
      banUntil: null,
      flagged: false,
      passwordHash: await this.passwords.hash(request.password),
      lastLogin: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.transaction(async (tx) => {
      await tx.users.insert(user);
      await this.audit.record(ctx, 'account.created', { target: user.id, details: { role: user.role } }, tx.audit);
    });
    return user;
  }

  /** A user as stored now (through the user cache, which every change evicts). */
  async findUser(database: string, id: string): Promise<UserRecord> {
    return (await this.sessions.users.find(database, id)) ?? fail('not_found');
  }

  /** A user by username (compared as at login: NFKC, case-insensitively); `not_found` otherwise. */
  async findByUsername(database: string, username: string): Promise<UserRecord> {
    return (await this.store.users.findByUsernameKey(database, usernameKeyOf(username))) ?? fail('not_found', { message: 'No such user.' });
  }

  /** Checks the password (throttled) and opens a session. */
  async login(ctx: RequestContext, request: LoginRequest): Promise<{ user: UserRecord; opened: OpenedSession }> {
    const user = request.byEmail
      ? await this.store.users.findByEmail(ctx.database, request.login.trim().toLowerCase())
      : await this.store.users.findByUsernameKey(ctx.database, usernameKeyOf(request.login));
    // Throttle by account when it exists (so username and email share one counter), else
    // by the name tried: both look the same from outside.
    const throttleKey = user ? accountThrottleKey(ctx.database, user.id) : `${ctx.database}:name:${request.byEmail ? 'e' : 'u'}:${request.login.toLowerCase()}`;
    // Every secret of the login (password, then TOTP) is one guarded attempt: a wrong one
    // counts as a failure, a lockout is `rate_limited`, success clears the account's count.
    let needsRehash = false;
    let mfa = false;
    let active: UserRecord;
    try {
      active = await this.throttle.guard(throttleKey, ctx.address, async () => {
        const check = user ? await this.passwords.verify(user.passwordHash, request.password) : await this.passwords.verifyUnknownUser(request.password);
        if (!user || !check.ok) {
          await this.audit.record(ctx, 'login.failed', { target: user?.id ?? null, actor: null });
          fail('invalid_credentials');
        }
        needsRehash = check.needsRehash;
        const standing = await this.ensureMayLogIn(ctx, user, ctx.clock.now());
        // The second step, asked only of someone who knows the password, so it tells
        // strangers nothing; a wrong code is a failed attempt like a wrong password.
        mfa = await this.secondFactor.isEnabled(ctx.database, user.id);
        if (mfa) {
          if (request.totp === undefined || request.totp === '') fail('mfa_required', { message: 'This account needs a TOTP code (totp).' });
          if (!(await this.secondFactor.check(ctx, user.id, request.totp))) {
            await this.audit.record(ctx, 'login.failed', { target: user.id, actor: null, details: { factor: 'totp' } });
            fail('invalid_credentials');
          }
        }
        return standing;
      });
    } catch (err) {
      if (err instanceof GatehouseError && err.code === 'rate_limited') await this.audit.record(ctx, 'login.throttled', { target: user?.id ?? null });
      throw err;
    }
    // Asked only after every secret checked out, so it tells strangers nothing about roles.
    if (request.role !== undefined && roles.indexOf(request.role) > roles.indexOf(active.role)) {
      fail('forbidden', { message: 'The requested role is above the account’s role.' });
    }
    const now = ctx.clock.now();

    const changes: UserChanges = { lastLogin: now };
    if (needsRehash) changes.passwordHash = await this.passwords.hash(request.password);
    // The last-login time, the session and the audit line are one transaction: a login is
    // recorded whole or not at all.
    let updated: UserRecord = active;
    const opened = await this.sessions.open(
      { database: ctx.database, userId: active.id, userName: active.username, address: ctx.address, client: ctx.client, nodeId: request.nodeId ?? null, mfa },
      async (tx, session) => {
        updated = (await tx.users.update(ctx.database, active.id, changes)) ?? fail('not_found');
        await this.audit.record(ctx, 'login.succeeded', { actor: active.id, target: active.id, details: { session_id: session.id, mfa } }, tx.audit);
      },
    );
    // The profile shows the last login: every node must drop its copy, as for any change.
    await this.sessions.afterUserChanged(ctx.database, active.id);
    return { user: updated, opened };
  }

  /** Refuses suspended and banned users; a ban whose time has passed is lifted here. */
  private async ensureMayLogIn(ctx: RequestContext, user: UserRecord, now: number): Promise<UserRecord> {
    ensureMayOpenSession(user, now);
    if (!banHasEnded(user, now)) return user;
    const lifted = (await this.store.users.update(ctx.database, user.id, { status: 'active', banUntil: null, updatedAt: now })) ?? fail('not_found');
    await this.sessions.afterUserChanged(ctx.database, user.id);
    return lifted;
  }

  /**
   * Applies every valid change in one transaction, or none. A password change needs the
   * current password and closes the user's other sessions.
   */
  async update(ctx: RequestContext, userId: string, currentSessionId: string | undefined, request: ProfileChanges): Promise<UserRecord> {
    const user = await this.findUser(ctx.database, userId);
    const now = ctx.clock.now();
    const changes: UserChanges = {};
    if (request.username !== undefined) Object.assign(changes, normalizeUsername(request.username));
    if (request.email !== undefined) changes.email = normalizeEmail(request.email);
    if (request.fullName !== undefined) changes.fullName = normalizeFullName(request.fullName);
    if (request.password !== undefined) {
      checkNewPassword(request.password, request.passwordField ?? 'password', { username: changes.username ?? user.username, email: changes.email ?? user.email });
      if (request.currentPassword === undefined) {
        fail('validation_failed', { message: 'current_password: is required to change the password', details: { field: 'current_password' } });
      }
      const currentPassword = request.currentPassword;
      await this.guardSecret(ctx, userId, async () => {
        if (!(await this.passwords.verify(user.passwordHash, currentPassword)).ok) fail('invalid_credentials', { message: 'The current password is not correct.' });
      });
      changes.passwordHash = await this.passwords.hash(request.password);
    }
    if (Object.keys(changes).length === 0) return user;
    changes.updatedAt = now;

    let closed: ClosedSession[] = [];
    const updated = await this.store.transaction(async (tx) => {
      const result = (await tx.users.update(ctx.database, userId, changes)) ?? fail('not_found');
      const fields = Object.keys(changes).filter((k) => k !== 'updatedAt' && k !== 'usernameKey' && k !== 'passwordHash');
      if (fields.length > 0) await this.audit.record(ctx, 'account.updated', { target: userId, details: { fields } }, tx.audit);
      if (changes.passwordHash !== undefined) {
        closed = await this.sessions.closeAllForUser(ctx.database, userId, currentSessionId, tx);
        await this.audit.record(ctx, 'password.changed', { target: userId, details: { sessions_closed: closed.length } }, tx.audit);
      }
      return result;
    });
    await this.sessions.afterUserChanged(ctx.database, userId, closed);
    return updated;
  }

  /**
   * An administrator's change of role and/or privileges. Every node reads the user on each
   * request, and hears of the change on the bus, so it applies at once everywhere.
   */
  async changeRoleAndPrivileges(ctx: RequestContext, userId: string, changes: { role?: Role; privileges?: Permission[] }): Promise<UserRecord> {
    const updated = await this.store.transaction(async (tx) => {
      const before = (await tx.users.findById(ctx.database, userId)) ?? fail('not_found');
      const after = (await tx.users.update(ctx.database, userId, { ...changes, updatedAt: ctx.clock.now() })) ?? fail('not_found');
      const details = { role: { from: before.role, to: after.role }, privileges: { from: before.privileges, to: after.privileges } };
      await this.audit.record(ctx, 'account.role_changed', { target: userId, details }, tx.audit);
      return after;
    });
    await this.sessions.afterUserChanged(ctx.database, userId);
    return updated;
  }

  /** Removes the user with every session and audit record of theirs; the name becomes free. */
  async deleteSelf(ctx: RequestContext, userId: string, password: string): Promise<void> {
    await this.checkPassword(ctx, userId, password);
    await this.deleteUser(ctx, userId);
  }

  /** Re-authenticates a signed-in user by password (throttled); a wrong one is `invalid_credentials`. */
  async checkPassword(ctx: RequestContext, userId: string, password: string): Promise<UserRecord> {
    const user = await this.findUser(ctx.database, userId);
    await this.guardSecret(ctx, userId, async () => {
      if (!(await this.passwords.verify(user.passwordHash, password)).ok) fail('invalid_credentials', { message: 'The password is not correct.' });
    });
    return user;
  }

  /**
   * Runs a check of a secret of an existing account (password, TOTP code) under the
   * account's login throttle: wrong answers here lock the account out like failed logins,
   * so no route offers a way around the throttle. A lockout is `rate_limited`.
   */
  guardSecret<T>(ctx: RequestContext, userId: string, check: () => Promise<T>): Promise<T> {
    return this.throttle.guard(accountThrottleKey(ctx.database, userId), ctx.address, check);
  }

  async deleteUser(ctx: RequestContext, userId: string): Promise<void> {
    const closed = await this.store.transaction(async (tx) => {
      const removedSessions = await tx.sessions.deleteAllForUser(ctx.database, userId);
      await tx.audit.deleteForUser(ctx.database, userId);
      if (!(await tx.users.delete(ctx.database, userId))) fail('not_found');
      // The deletion itself stays on record, by opaque id only.
      await this.audit.record(ctx, 'account.deleted', { target: userId }, tx.audit);
      return removedSessions;
    });
    await this.sessions.afterUserChanged(ctx.database, userId, closed);
  }
}
