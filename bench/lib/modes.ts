// Run sizes. Quick mode is for checking that everything works (under 2 minutes); full
// mode produces the figures to keep (under 15 minutes on a 2-core machine).

export interface Mode {
  name: 'quick' | 'full';
  /** Sessions in the large store; the names say 1m, quick mode seeds fewer. */
  largeSessions: number;
  smallSessions: number;
  loginUsers: number;
  durationS: number;
  /** Uncounted load before a load's first round (connections, switching loads). */
  warmupS: number;
  /**
   * Uncounted load before a fresh server's first measurement. A new server needs several
   * seconds of traffic before its CPU cost per request settles (JIT tiers, heap sizing):
   * measured on this 2-core machine, 82 µs/request in the first 3 s, 60 in the next 3,
   * then about 45.
   */
  serverWarmupS: number;
  /**
   * Uncounted load before the first round of a password figure (login, login_token,
   * registration). At 150 logins/s a path is still being optimised for about 20 s: V8's
   * helper threads compiled it on the same two cores at 0.33 ms of CPU per login after 3 s
   * of load, 0.20 after 10 s, 0.08 after 20 s and 0.04 after 40 s (tools/login-cpu.ts
   * --warmup, December 2026), so a 2 s warm-up measured the compiler, not the service.
   * Validation reaches its steady state within serverWarmupS: it sends hundreds of
   * times more requests per second.
   */
  passwordWarmupS: number;
  /** Interleaved repetitions of each measurement and its baseline; the median is kept. */
  rounds: number;
  /** Repetitions for the slow password phases. */
  hashRounds: number;
  connections: number;
  loginConnections: number;
  /**
   * Connections of the cold-cache latency probe, each sending its next request when the
   * last is answered. Few, so the p99 shows the cost of a cache miss rather than queueing
   * behind 50 others. (autocannon's rate limit sends each second's quota in one burst, so
   * it cannot pace a latency probe.)
   */
  coldConnections: number;
  /** Upper bound on any child's life. */
  childLifetimeMs: number;
}

const common = { smallSessions: 1000, loginUsers: 1000, connections: 50, loginConnections: 8, coldConnections: 4 };

export const modes: Record<Mode['name'], Mode> = {
  quick: {
    ...common,
    name: 'quick',
    largeSessions: 100_000,
    durationS: 3,
    warmupS: 1,
    serverWarmupS: 5,
    passwordWarmupS: 3,
    rounds: 1,
    hashRounds: 1,
    childLifetimeMs: 5 * 60_000,
  },
  full: {
    ...common,
    name: 'full',
    largeSessions: 1_000_000,
    // Many short rounds rather than a few long ones: finer interleaving with the baseline.
    durationS: 6,
    warmupS: 2,
    serverWarmupS: 8,
    passwordWarmupS: 20,
    rounds: 5,
    hashRounds: 4,
    childLifetimeMs: 20 * 60_000,
  },
};

export const formatCount = (n: number): string => n.toLocaleString('en-US');
