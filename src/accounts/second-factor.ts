// TOTP as a second factor: enrolment (a secret and its otpauth:// URI, confirmed by a first
// code), the check at login, and disabling. Secrets are sealed at rest; every accepted
// code's time step is recorded in the store with a conditional write, so a code works once
// per user even when several nodes share the store.
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import type { AuditLog } from '../audit/log.js';
import type { SecretBox } from '../credentials/secret-box.js';
import { matchTotp, newTotpSecret, otpauthUrl } from '../credentials/totp.js';
import type { Store, UserRecord } from '../store/ports.js';

export const totpIssuer = 'Gatehouse';

const sealContext = (database: string, userId: string) => `totp:${database}:${userId}`;

export interface Enrolment {
  secret: string;
  otpauthUrl: string;
}

export class SecondFactor {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
  ) {}

  /** The account name an authenticator app shows: the username, with its database unless main. */
  private accountName(user: UserRecord): string {
    return user.database === 'main' ? user.username : `${user.username}@${user.database}`;
  }

  /**
   * A new secret for `user`. Pending until `confirm` sees a code from it; with `enabled`
   * (an operator enrolling an administrator from the command line) it applies at once.
   */
  async enrol(ctx: RequestContext, user: UserRecord, options: { enabled?: boolean } = {}): Promise<Enrolment> {
    const existing = await this.store.totp.find(ctx.database, user.id);
    if (existing?.enabled) fail('conflict', { message: 'A second factor is already enabled; disable it first.' });
    const secret = newTotpSecret();
    await this.store.totp.put({
      database: ctx.database,
      userId: user.id,
      sealedSecret: this.box.seal(secret, sealContext(ctx.database, user.id)),
      enabled: options.enabled ?? false,
      lastStep: -1,
      createdAt: ctx.clock.now(),
    });
    if (options.enabled) await this.audit.record(ctx, 'totp.enabled', { target: user.id });
    return { secret, otpauthUrl: otpauthUrl(secret, this.accountName(user), totpIssuer) };
  }

  async isEnabled(database: string, userId: string): Promise<boolean> {
    return (await this.store.totp.find(database, userId))?.enabled === true;
  }

  /**
   * Whether `code` is the user's current code (one step of drift either way) and was not
   * used before; a match is consumed. A pending enrolment counts only when `pendingToo`.
   */
  async check(ctx: RequestContext, userId: string, code: string, pendingToo = false): Promise<boolean> {
    const record = await this.store.totp.find(ctx.database, userId);
    if (record === undefined || (!record.enabled && !pendingToo)) return false;
    const step = matchTotp(this.box.open(record.sealedSecret, sealContext(ctx.database, userId)), code, ctx.clock.now());
    if (step === undefined || step <= record.lastStep) return false;
    return this.store.totp.consumeStep(ctx.database, userId, step);
  }

  /** Completes an enrolment with a first code; later logins need a code. */
  async confirm(ctx: RequestContext, userId: string, code: string): Promise<void> {
    const record = (await this.store.totp.find(ctx.database, userId)) ?? fail('not_found', { message: 'No enrolment was started; POST /api/user/totp first.' });
    if (record.enabled) fail('conflict', { message: 'The second factor is already enabled.' });
    if (!(await this.check(ctx, userId, code, true))) fail('invalid_credentials', { message: 'The code is not valid.' });
    await this.audit.record(ctx, 'totp.enabled', { target: userId });
  }

  async disable(ctx: RequestContext, userId: string): Promise<void> {
    if (!(await this.store.totp.delete(ctx.database, userId))) fail('not_found', { message: 'No second factor is enrolled.' });
    await this.audit.record(ctx, 'totp.disabled', { target: userId });
  }

  /** Re-seals every TOTP secret with the current secret key (after a secret-key rotation). */
  async reseal(): Promise<number> {
    let count = 0;
    for (const record of await this.store.totp.listAll()) {
      if (this.box.isCurrent(record.sealedSecret)) continue;
      const context = sealContext(record.database, record.userId);
      await this.store.totp.replaceSealedSecret(record.database, record.userId, this.box.seal(this.box.open(record.sealedSecret, context), context));
      count++;
    }
    return count;
  }
}
