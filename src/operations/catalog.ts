// The one catalog of operations. Surfaces look operations up here; nothing else defines
// business rules. `allOperations` lists them for documentation and for tests that pin
// which operations each surface may expose.
import type { AuditLog } from '../audit/log.js';
import { administrationOperations } from '../accounts/administration-operations.js';
import { userAdministrationOperations } from '../accounts/user-administration-operations.js';
import type { ModerationService } from '../accounts/moderation.js';
import { moderationOperations } from '../accounts/moderation-operations.js';
import { accountOperations } from '../accounts/operations.js';
import { passwordOperations } from '../accounts/password-operations.js';
import type { PasswordReset } from '../accounts/password-reset.js';
import { secondFactorOperations } from '../accounts/second-factor-operations.js';
import type { AccountService } from '../accounts/service.js';
import type { AccessTokens } from '../credentials/access-tokens.js';
import type { LoginThrottle } from '../credentials/throttle.js';
import type { Authenticator } from '../sessions/authenticator.js';
import { sessionOperations } from '../sessions/operations.js';
import { sessionServiceOperations } from '../sessions/service-operations.js';
import type { SessionService } from '../sessions/service.js';
import { tokenOperations } from '../sessions/token-operations.js';
import type { Store } from '../store/ports.js';
import { tenancyOperations } from '../tenancy/operations.js';
import type { TenancyService } from '../tenancy/service.js';
import type { Operation } from './operation.js';

export interface CatalogDependencies {
  accounts: AccountService;
  sessions: SessionService;
  audit: AuditLog;
  authenticator: Authenticator;
  tokens: AccessTokens;
  throttle: LoginThrottle;
  moderation: ModerationService;
  tenancy: TenancyService;
  store: Store;
  passwordReset: PasswordReset;
}

export function createCatalog(deps: CatalogDependencies) {
  return {
    accounts: accountOperations(deps.accounts),
    secondFactor: secondFactorOperations(deps.accounts),
    sessions: sessionOperations(deps.sessions, deps.accounts, deps.audit, deps.authenticator),
    tokens: tokenOperations(deps.sessions, deps.tokens, deps.accounts, deps.audit),
    administration: administrationOperations(deps.accounts),
    passwords: passwordOperations(deps.accounts, deps.passwordReset),
    moderation: moderationOperations(deps.accounts, deps.moderation),
    sessionsService: sessionServiceOperations(deps.sessions, deps.audit),
    userAdministration: userAdministrationOperations(deps.accounts, deps.moderation, deps.throttle, deps.store),
    databases: tenancyOperations(deps.tenancy),
  };
}

export type Catalog = ReturnType<typeof createCatalog>;

export function allOperations(catalog: Catalog): Operation[] {
  return Object.values(catalog).flatMap((group) => Object.values(group) as Operation[]);
}
