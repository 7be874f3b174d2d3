// Turns a presented credential into a caller. Surfaces extract the credential from their
// wire format (cookie, bearer header, body field, service key); the rules live here.
// Adding a credential kind (for example access tokens) is one more method and one more
// entry in the surface's list of checkers.
import type { ServiceCaller, UserCaller } from '../core/context.js';
import { digestSecret } from '../core/ids.js';
import { effectivePermissions } from '../core/permissions.js';
import type { Store } from '../store/ports.js';
import type { LiveSession } from './cache.js';
import type { SessionService } from './service.js';

export interface AuthenticatedUser {
  caller: UserCaller;
  session: LiveSession;
}

export class Authenticator {
  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
  ) {}

  /** A live session of an active local user, as a caller with that user's permissions. */
  async sessionToken(token: string, database: string): Promise<AuthenticatedUser | undefined> {
    const session = await this.sessions.validate(token, database);
    if (session === undefined) return undefined;
    const user = await this.store.users.findById(database, session.userId);
    if (user === undefined || user.status !== 'active') return undefined;
    return {
      session,
      caller: {
        kind: 'user',
        userId: user.id,
        role: user.role,
        permissions: new Set(effectivePermissions(user.role, user.privileges)),
        sessionId: session.id,
        mfa: session.mfa,
      },
    };
  }

  /**
   * A service key that is not revoked and belongs to `database`. A key presented to
   * another database is refused like an unknown one: keys act only where they were made.
   */
  async serviceKey(key: string, database: string): Promise<ServiceCaller | undefined> {
    if (key.length === 0 || key.length > 512) return undefined;
    const record = await this.store.serviceKeys.findByDigest(digestSecret(key));
    if (record === undefined || record.revokedAt !== null || record.database !== database) return undefined;
    return { kind: 'service', keyName: record.name, permissions: new Set(['sessions.manage']) };
  }
}
