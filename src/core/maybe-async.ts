// Results that are often ready at once. Validating a cached session needs no I/O, yet as an
// `async` chain (handler, operation, authenticator, session service) it cost a promise and
// a microtask per layer on every request. Functions on that path return the value itself
// when they have it and a promise only when they wait; callers that `await` see no
// difference, and the hot path stays synchronous from the route to the reply.

export type MaybeAsync<T> = T | Promise<T>;

/** `next(value)` now if the value is ready, else once it is. */
export function andThen<T, R>(value: MaybeAsync<T>, next: (value: T) => MaybeAsync<R>): MaybeAsync<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * Runs `attempt` and hands its result to `done` or its error, thrown or rejected, to
 * `failed`; synchronous as long as `attempt` and `done` are.
 */
export function settle<T, R>(attempt: () => MaybeAsync<T>, done: (value: T) => MaybeAsync<R>, failed: (err: unknown) => MaybeAsync<R>): MaybeAsync<R> {
  let value: MaybeAsync<T>;
  try {
    value = attempt();
  } catch (err) {
    return failed(err);
  }
  return value instanceof Promise ? value.then(done, failed) : done(value);
}
