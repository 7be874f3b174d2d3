// Turns a presented credential into a caller. Surfaces extract the credential from their
// wire format (cookie, bearer header, body field, service key); the rules live here. A user
// credential is a session token or an access token (a JWT naming its session); both end
// in the same exact session check, so closing a session stops every credential of it.
import type { Role } from '../core/permissions.js';
import type { ServiceCaller, UserCaller } from '../core/context.js';
import { digestSecret } from '../core/ids.js';
import { andThen, type MaybeAsync } from '../core/maybe-async.js';
import { effectivePermissions, roles } from '../core/permissions.js';
import { looksLikeJwt, type AccessClaims, type AccessTokens } from '../credentials/access-tokens.js';
import type { Store } from '../store/ports.js';
import type { LiveSession } from './cache.js';
import type { SessionService } from './service.js';

export interface AuthenticatedUser {
  caller: UserCaller;
  session: LiveSession;
}

/** The lower of two roles: a token issued for a role below the user's keeps to it. */
const lowerRole = (a: Role, b: Role): Role => (roles.indexOf(a) <= roles.indexOf(b) ? a : b);

export class Authenticator {
  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
    private readonly tokens: AccessTokens,
  ) {}

  /**
   * The database a user credential belongs to, for protocols that do not name one (the RPC):
   * an access token says so; a session token's session is found by its digest. A credential
   * is still usable only in that database.
   */
  async databaseOf(credential: string): Promise<string | undefined> {
    if (looksLikeJwt(credential)) return (await this.tokens.verify(credential))?.db;
    return this.sessions.databaseOfToken(credential);
  }

  /** The live session a user credential stands for, cookie token or access token alike. */
  liveSession(credential: string, database: string): MaybeAsync<LiveSession | undefined> {
    if (!looksLikeJwt(credential)) return this.sessions.validate(credential, database);
    return andThen(this.claimsFor(credential, database), (claims) => claims && this.tokenSession(claims, database));
  }

  /** The session a credential belongs to whether or not it is still live (for logout). */
  async anySession(credential: string, database: string): Promise<LiveSession | undefined> {
    if (!looksLikeJwt(credential)) return this.sessions.findByToken(credential, database);
    const claims = await this.claimsFor(credential, database);
    const session = claims && (await this.sessions.find(database, claims.sid));
    return session?.userId === claims?.sub ? session : undefined;
  }

  /** A live session of an active local user, as a caller with that user's permissions. */
  async user(credential: string, database: string): Promise<AuthenticatedUser | undefined> {
    const claims = looksLikeJwt(credential) ? await this.claimsFor(credential, database) : undefined;
    if (looksLikeJwt(credential) && claims === undefined) return undefined;
    const session = claims ? await this.tokenSession(claims, database) : await this.sessions.validate(credential, database);
    if (session === undefined) return undefined;
    // Needed on every request; cached, and evicted on every node by any change of the user,
    // so a change of role, privileges or status applies at once.
    const user = await this.sessions.users.find(database, session.userId);
    if (user === undefined || user.status !== 'active') return undefined;
    const role = claims ? lowerRole(claims.role, user.role) : user.role;
    // A token limited below the user's role carries none of the user's extra privileges.
    const privileges = role === user.role ? user.privileges : [];
    return {
      session,
      caller: {
        kind: 'user',
        userId: user.id,
        database,
        role,
        permissions: new Set(effectivePermissions(role, privileges)),
        sessionId: session.id,
        mfa: session.mfa,
      },
    };
  }

  private claimsFor(token: string, database: string): MaybeAsync<AccessClaims | undefined> {
    // A token of another database is no credential here, exactly like an unknown one.
    return andThen(this.tokens.verify(token), (claims) => (claims?.db === database ? claims : undefined));
  }

  private tokenSession(claims: AccessClaims, database: string): MaybeAsync<LiveSession | undefined> {
    return andThen(this.sessions.validateById(database, claims.sid), (session) => (session?.userId === claims.sub ? session : undefined));
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
