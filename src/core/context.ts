// The request context: everything an operation may know about the call it serves.
// Handlers receive it explicitly; nothing reads request state from globals.
import type { Clock } from './clock.js';
import type { Permission, Role } from './permissions.js';

export interface UserCaller {
  kind: 'user';
  userId: string;
  /** The database the user's account (and session) lives in; a call may act on another one. */
  database: string;
  role: Role;
  permissions: ReadonlySet<Permission>;
  sessionId: string;
  /** Whether the session passed a second factor. */
  mfa: boolean;
}

export interface ServiceCaller {
  kind: 'service';
  keyName: string;
  permissions: ReadonlySet<Permission>;
}

export interface AnonymousCaller {
  kind: 'anonymous';
}

export type Caller = UserCaller | ServiceCaller | AnonymousCaller;

export const anonymous: AnonymousCaller = Object.freeze({ kind: 'anonymous' });

export interface RequestContext {
  /** The tenant database every read and write of this call is scoped to. */
  database: string;
  caller: Caller;
  correlationId: string;
  /** Client address as seen by the surface (after TRUST_PROXY rules). */
  address: string;
  /** Client application (User-Agent or the protocol's own field). */
  client: string;
  nodeId: string;
  clock: Clock;
}
