// Tenant databases as operations: create, delete, list, and select the one an
// administrator's session acts on. Only administrators of `main` manage databases: an
// administrator of a tenant has no power outside it.
import { Type } from '@sinclair/typebox';
import type { RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import { defineOperation } from '../operations/operation.js';
import { mainDatabase } from './databases.js';
import type { TenancyService } from './service.js';

const byName = Type.Object({ dbname: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** Databases are the operator's: an administrator of a tenant has no power outside it. */
function ensureOperator(ctx: RequestContext): void {
  if (ctx.caller.kind === 'user' && ctx.caller.database !== mainDatabase) fail('forbidden', { message: 'Databases are managed by administrators of main.' });
}

export function tenancyOperations(tenancy: TenancyService) {
  return {
    create: defineOperation({
      name: 'databases.create',
      summary: 'Create an empty tenant database.',
      access: 'databases.manage',
      input: byName,
      handler: async (ctx, input) => {
        ensureOperator(ctx);
        await tenancy.create(ctx, input.dbname);
      },
    }),
    delete: defineOperation({
      name: 'databases.delete',
      summary: 'Delete a tenant database with everything in it; main cannot be deleted.',
      access: 'databases.manage',
      input: byName,
      handler: async (ctx, input) => {
        ensureOperator(ctx);
        await tenancy.delete(ctx, input.dbname);
      },
    }),
    list: defineOperation({
      name: 'databases.list',
      summary: 'The names of every database.',
      access: 'databases.manage',
      input: Type.Object({}, { additionalProperties: false }),
      handler: async (ctx) => {
        ensureOperator(ctx);
        return tenancy.list();
      },
    }),
    select: defineOperation({
      name: 'databases.select',
      summary: "Make the caller's session act on another database from now on.",
      access: 'databases.manage',
      input: byName,
      handler: async (ctx, input) => {
        ensureOperator(ctx);
        const caller = ctx.caller.kind === 'user' ? ctx.caller : fail('forbidden');
        return tenancy.select(ctx, caller.sessionId, input.dbname);
      },
    }),
  };
}
