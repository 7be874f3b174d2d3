// The one catalog of operations. Surfaces look operations up here; nothing else defines
// business rules. `allOperations` lists them for documentation and for tests that pin
// which operations each surface may expose.
import type { AuditLog } from '../audit/log.js';
import { accountOperations } from '../accounts/operations.js';
import type { AccountService } from '../accounts/service.js';
import { sessionOperations } from '../sessions/operations.js';
import { sessionServiceOperations } from '../sessions/service-operations.js';
import type { SessionService } from '../sessions/service.js';
import type { Operation } from './operation.js';

export interface CatalogDependencies {
  accounts: AccountService;
  sessions: SessionService;
  audit: AuditLog;
}

export function createCatalog(deps: CatalogDependencies) {
  return {
    accounts: accountOperations(deps.accounts),
    sessions: sessionOperations(deps.sessions, deps.accounts, deps.audit),
    sessionsService: sessionServiceOperations(deps.sessions, deps.audit),
  };
}

export type Catalog = ReturnType<typeof createCatalog>;

export function allOperations(catalog: Catalog): Operation[] {
  return Object.values(catalog).flatMap((group) => Object.values(group) as Operation[]);
}
