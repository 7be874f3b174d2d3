// Password reset by mailed code. A code is random, single-use, lives 15 minutes, is stored
// only as a digest and dies after 5 wrong tries. Asking for a reset answers the same for
// every account name, known or not; the mail goes out in the background.
import { randomInt } from 'node:crypto';
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import { constantTimeEqual, digestSecret, newId } from '../core/ids.js';
import type { AuditLog } from '../audit/log.js';
import type { PasswordHasher } from '../credentials/passwords.js';
import type { BackgroundMail } from '../mail/mailer.js';
import { passwordResetMail } from '../mail/password-reset-mail.js';
import type { SessionService } from '../sessions/service.js';
import type { ClosedSession, Store, UserRecord } from '../store/ports.js';
import { checkPassword, usernameKeyOf } from './identity.js';

export const resetCodeLifetimeMs = 15 * 60_000;
export const resetCodeMaxFailures = 5;

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

/** The digest is bound to its reset id, so equal codes of two resets never share a digest. */
const codeDigest = (resetId: string, code: string): string => digestSecret(`${resetId}:${code.trim().toUpperCase()}`);

export class PasswordReset {
  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditLog,
    private readonly mail: BackgroundMail,
  ) {}

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
    checkPassword(request.newPassword, 'new_password');
    const user = await this.find(ctx, request.target);
    const now = ctx.clock.now();
    const live = user && (await this.store.resetCodes.findLive(ctx.database, user.id, now, resetCodeMaxFailures));
    if (user === undefined || live === undefined) fail('invalid_credentials', { message: 'The reset code is not valid.' });
    if (!constantTimeEqual(codeDigest(live.id, request.code), live.codeDigest)) {
      const failures = await this.store.resetCodes.recordFailure(ctx.database, live.id);
      await this.audit.record(ctx, 'password.reset_failed', { target: user.id, details: { reset_id: live.id, failures } });
      fail('invalid_credentials', { message: 'The reset code is not valid.' });
    }
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
