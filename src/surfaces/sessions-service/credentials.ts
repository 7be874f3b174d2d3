// Who may call the sessions service: the bearer credential is tried against each checker in
// turn and the first that recognises it names the caller. Accepting another kind of
// credential (administrator access tokens) is one more entry in `credentialCheckers`.
// Refusals are audited without the credential itself, sampled per address (a flood of bad
// keys writes a few rows with a count), and an unknown credential counts toward the
// address's quota of refused credentials (then `rate_limited`).
import type { FastifyRequest } from 'fastify';
import type { Core } from '../../app.js';
import type { Access } from '../../operations/operation.js';
import { authorize } from '../../operations/operation.js';
import type { Caller, RequestContext } from '../../core/context.js';
import { fail, GatehouseError } from '../../core/errors.js';
import { bearerToken, requestContext, type HttpDeps } from '../../server/context.js';
import { AuditSampler } from '../../audit/sampler.js';

/** Refusal rows per address and minute; beyond, refusals are only counted. */
const refusalRowsPerMinute = 10;

/** Recognises a credential valid in `database`, or returns undefined. */
export type CredentialChecker = (credential: string, database: string) => Promise<Caller | undefined>;

export function credentialCheckers(core: Core): CredentialChecker[] {
  return [
    (key, database) => core.authenticator.serviceKey(key, database),
    // A signed-in user's session token or access token; only an administrator's passes
    // authorization, and only from a session that passed a second factor.
    async (token, database) => (await core.authenticator.user(token, database))?.caller,
  ];
}

// One sampler per core, shared by both prefixes the surface answers under.
const samplers = new WeakMap<Core, AuditSampler>();
const refusalSamplerOf = (core: Core): AuditSampler => {
  let sampler = samplers.get(core);
  if (sampler === undefined) samplers.set(core, (sampler = new AuditSampler(refusalRowsPerMinute)));
  return sampler;
};

type Rejection = 'missing' | 'unknown' | 'forbidden' | 'mfa_required';

/**
 * The context of an authorized call. A database named in X-Database that does not exist
 * holds no credentials, so naming one is `unauthenticated` too (and nothing is recorded:
 * there is no database to record it in).
 */
export async function authorizedContext(
  deps: HttpDeps,
  checkers: readonly CredentialChecker[],
  request: FastifyRequest,
  operation: { name: string; access: Access },
): Promise<RequestContext> {
  let ctx: RequestContext;
  try {
    ctx = await requestContext(deps, request);
  } catch (err) {
    if (err instanceof GatehouseError && err.code === 'not_found') fail('unauthenticated');
    throw err;
  }
  const rejected = async (reason: Rejection, caller: Caller = ctx.caller): Promise<never> => {
    // Missing and unknown credentials are what a flood is made of: sampled per database and
    // address. A refused known caller (forbidden, no second factor) is always recorded.
    const anonymousRefusal = reason === 'missing' || reason === 'unknown';
    const sample = anonymousRefusal ? refusalSamplerOf(deps.core).admit(`${ctx.database}\n${ctx.address}`, ctx.clock.now()) : { record: true, suppressed: 0 };
    if (sample.record) {
      const details = { operation: operation.name, reason, ...(sample.suppressed > 0 ? { unrecorded_before: sample.suppressed } : {}) };
      await deps.core.audit.record({ ...ctx, caller }, 'service_key.rejected', { details });
    }
    if (anonymousRefusal) await deps.core.throttle.refuseCredential(ctx.address);
    fail(reason === 'missing' || reason === 'unknown' ? 'unauthenticated' : reason);
  };

  const credential = bearerToken(request);
  if (credential === undefined) return rejected('missing');
  let caller: Caller | undefined;
  for (const check of checkers) {
    caller = await check(credential, ctx.database);
    if (caller !== undefined) break;
  }
  if (caller === undefined) return rejected('unknown');
  try {
    authorize(operation.access, caller);
  } catch (err) {
    return rejected(err instanceof GatehouseError && err.code === 'mfa_required' ? 'mfa_required' : 'forbidden', caller);
  }
  return { ...ctx, caller };
}
