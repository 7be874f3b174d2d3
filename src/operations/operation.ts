// What an operation is: a name, one input schema (which validates, types the handler and
// documents the API), the access it requires, and a handler. Surfaces only translate
// their wire format to an operation's input and its result or error back.
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { Caller, RequestContext } from '../core/context.js';
import { fail } from '../core/errors.js';
import type { MaybeAsync } from '../core/maybe-async.js';
import { secondFactorPermissions, type Permission } from '../core/permissions.js';

/** `public`: anyone; `authenticated`: any signed-in user; otherwise one permission. */
export type Access = 'public' | 'authenticated' | Permission;

export interface OperationDefinition<S extends TSchema, R> {
  name: string;
  summary: string;
  input: S;
  access: Access;
  /** May answer synchronously when it needs no I/O (see core/maybe-async.ts). */
  handler: (ctx: RequestContext, input: Static<S>) => MaybeAsync<R>;
}

export interface Operation<S extends TSchema = TSchema, R = unknown> extends OperationDefinition<S, R> {
  check: TypeCheck<S>;
}

export function defineOperation<S extends TSchema, R>(definition: OperationDefinition<S, R>): Operation<S, R> {
  return { ...definition, check: TypeCompiler.Compile(definition.input) };
}

export function authorize(access: Access, caller: Caller): void {
  if (access === 'public') return;
  if (caller.kind === 'anonymous') fail('unauthenticated');
  if (access === 'authenticated') {
    if (caller.kind !== 'user') fail('forbidden');
    return;
  }
  if (!caller.permissions.has(access)) fail('forbidden');
  // The one place administrative power asks for a second factor; service keys have none.
  if (caller.kind === 'user' && !caller.mfa && secondFactorPermissions.has(access)) {
    fail('mfa_required', { message: 'This needs a session opened with a second factor (TOTP).' });
  }
}

const maxReportedErrors = 10;

/** Validates input against the schema and reports where it is wrong, without echoing values. */
export function validateInput<S extends TSchema>(operation: Operation<S, unknown>, input: unknown): Static<S> {
  if (operation.check.Check(input)) return input;
  const errors: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  for (const error of operation.check.Errors(input)) {
    const path = error.path || '/';
    if (seen.has(path)) continue; // the first complaint about a field is the useful one
    seen.add(path);
    errors.push({ path, message: error.message });
    if (errors.length === maxReportedErrors) break;
  }
  const first = errors[0];
  fail('validation_failed', {
    message: first ? `${first.path === '/' ? 'body' : first.path.slice(1)}: ${first.message}` : undefined,
    details: { errors },
  });
}

/**
 * Runs an operation for a surface: access first (so strangers learn nothing), then input.
 * Not `async`: a refusal is thrown at once and a handler that has its answer returns it
 * without a promise, so callers either `await` it inside an async function or handle both.
 */
export function invoke<S extends TSchema, R>(operation: Operation<S, R>, ctx: RequestContext, input: unknown): MaybeAsync<R> {
  authorize(operation.access, ctx.caller);
  return operation.handler(ctx, validateInput(operation, input));
}
