// Password reset by mailed code. A code is random, single-use, lives 15 minutes, is stored
// only as a digest and dies after 5 wrong tries. Asking for a reset answers the same for
// every account name, known or not; the mail goes out in the background. Requests have a
// quota per name and per address, and code tries count toward the account's login throttle.
import { randomInt } from 'node:crypto';
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import { constantTimeEqual, digestSecret, newId } from '../core/ids.js';
import type { AuditLog } from '../audit/log.js';
import type { PasswordHasher } from '../credentials/passwords.js';
import type { LoginThrottle } from '../credentials/throttle.js';
import type { BackgroundMail } from '../mail/mailer.js';
import { passwordResetMail } from '../mail/password-reset-mail.js';
import type { SessionService } from '../sessions/service.js';
import type { ClosedSession, Store, UserRecord } from '../store/ports.js';
import { usernameKeyOf } from './identity.js';
import { checkNewPassword } from './password-policy.js';
import { accountThrottleKey } from './service.js';

export const resetCodeLifetimeMs = 15 * 60_000;
export const resetCodeMaxFailures = 5;
/**
 * Every reset request answers no sooner than this after it arrived. A known account costs a
 * transaction and a mail more than an unknown one (about a millisecond idle; on a loaded
 * 2-core host in December 2026 it passed 15 ms often enough to show through a 25 ms floor);
 * padding both to one floor hides that difference, which a median over many requests
 * would otherwise show. Resets are rare, so the wait costs users nothing they notice.
 */
export const resetAnswerFloorMs = 50;

// Unambiguous when read from a mail and typed: no 0/O, 1/I/L. 10 characters ≈ 50 bits.
const codeAlphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const codeLength = 10;

/** Who asks: the signed-in user, or an account named by username or email. */
export type ResetTarget = { userId: string } | { username: string } | { email: string };

export interface ResetCompletion {
  target: { username: string } | { email: string };
  code: string;
  newPassword: string;
}

function newCode(): string {
  return Array.from({ length: codeLength }, () => codeAlphabet[randomInt(codeAlphabet.length)]).join('');
}

/** The account name as the requester typed it, in its comparison form. */
const nameOf = (target: ResetTarget): string =>
  'userId' in target ? `id:${target.userId}` : 'username' in target ? `u:${usernameKeyOf(target.username)}` : `e:${target.email.trim().toLowerCase()}`;

/** The digest is bound to its reset id, so equal codes of two resets never share a digest. */
const codeDigest = (resetId: string, code: string): string => digestSecret(`${resetId}:${code.trim().toUpperCase()}`);

export class PasswordReset {
  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditLog,
    private readonly mail: BackgroundMail,
    private readonly throttle: LoginThrottle,
  ) {}

  /** The throttle key of a reset: the account's own when it exists, else the name tried (as logins do). */
  private throttleKey(ctx: RequestContext, target: ResetTarget, user: UserRecord | undefined): string {
    if (user !== undefined) return accountThrottleKey(ctx.database, user.id);
    return `${ctx.database}:name:${nameOf(target)}`;
  }

  private async find(ctx: RequestContext, target: ResetTarget): Promise<UserRecord | undefined> {
    if ('userId' in target) return this.store.users.findById(ctx.database, target.userId);
    if ('username' in target) return this.store.users.findByUsernameKey(ctx.database, usernameKeyOf(target.username));
    return this.store.users.findByEmail(ctx.database, target.email.trim().toLowerCase());
  }

  /**
   * Issues a code and mails it. The answer has the same shape for an unknown account (a
   * reset id that leads nowhere), and no mail is sent then.
   */
  async request(ctx: RequestContext, target: ResetTarget): Promise<{ resetId: string; expiresAt: number }> {
    // The quota is keyed by the name as typed, before any look-up: known and unknown
    // accounts run out alike, and a refused request costs no query.
    await this.throttle.takeResetRequest(`${ctx.database}:${nameOf(target)}`, ctx.address);
    const answerAt = performance.now() + resetAnswerFloorMs;
    try {
      return await this.issue(ctx, target);
    } finally {
      const wait = answerAt - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private async issue(ctx: RequestContext, target: ResetTarget): Promise<{ resetId: string; expiresAt: number }> {
    const now = ctx.clock.now();
    const answer = { resetId: newId(), expiresAt: now + resetCodeLifetimeMs };
    const user = await this.find(ctx, target);
    if (user === undefined) {
      await this.audit.record(ctx, 'password.reset_requested', { details: { known: false } });
      return answer;
    }
    const code = newCode();
    await this.store.transaction(async (tx) => {
      await tx.resetCodes.issue({
        database: ctx.database,
        id: answer.resetId,
        userId: user.id,
        codeDigest: codeDigest(answer.resetId, code),
        createdAt: now,
        expiresAt: answer.expiresAt,
        failedAttempts: 0,
        usedAt: null,
      });
      await this.audit.record(ctx, 'password.reset_requested', { target: user.id, details: { reset_id: answer.resetId } }, tx.audit);
    });
    this.mail.dispatch(passwordResetMail(user.email, user.username, code, resetCodeLifetimeMs / 60_000), 'password reset');
    return answer;
  }

  /**
   * Sets a new password with a live code. Any failure (no such account, no live code, a
   * wrong code) is `invalid_credentials`; a wrong code counts toward the code's limit. A
   * successful reset closes every session of the user.
   */
  async complete(ctx: RequestContext, request: ResetCompletion): Promise<void> {
    // Only the name the caller sent is compared before the code checks out: comparing the
    // account's other name here would tell a stranger which email belongs to which user.
    const named = 'username' in request.target ? { username: request.target.username } : { email: request.target.email };
    checkNewPassword(request.newPassword, 'new_password', named);
    const user = await this.find(ctx, request.target);
    const now = ctx.clock.now();
    const live = await this.throttle.guard(this.throttleKey(ctx, request.target, user), ctx.address, async () => {
      const found = user && (await this.store.resetCodes.findLive(ctx.database, user.id, now, resetCodeMaxFailures));
      if (user === undefined || found === undefined) fail('invalid_credentials', { message: 'The reset code is not valid.' });
      if (!constantTimeEqual(codeDigest(found.id, request.code), found.codeDigest)) {
        const failures = await this.store.resetCodes.recordFailure(ctx.database, found.id);
        await this.audit.record(ctx, 'password.reset_failed', { target: user.id, details: { reset_id: found.id, failures } });
        fail('invalid_credentials', { message: 'The reset code is not valid.' });
      }
      return found;
    });
    if (user === undefined) fail('invalid_credentials', { message: 'The reset code is not valid.' });
    checkNewPassword(request.newPassword, 'new_password', user);
    const passwordHash = await this.passwords.hash(request.newPassword);
    let closed: ClosedSession[] = [];
    await this.store.transaction(async (tx) => {
      // Consumed inside the transaction: a code used by a concurrent request fails here, and
      // a failed password write leaves the code unused.
      if (!(await tx.resetCodes.consume(ctx.database, live.id, now, resetCodeMaxFailures))) fail('invalid_credentials', { message: 'The reset code is not valid.' });
      (await tx.users.update(ctx.database, user.id, { passwordHash, updatedAt: now })) ?? fail('invalid_credentials');
      closed = await this.sessions.closeAllForUser(ctx.database, user.id, undefined, tx);
      await this.audit.record(ctx, 'password.reset', { target: user.id, details: { reset_id: live.id, sessions_closed: closed.length } }, tx.audit);
    });
    await this.sessions.afterUserChanged(ctx.database, user.id, closed);
  }
}
