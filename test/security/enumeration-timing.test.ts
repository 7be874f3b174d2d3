// Enumeration resistance: on every surface that logs in, an unknown user and a wrong
// password get the same answer and the same timing profile (the unknown path verifies
// against a dummy hash; a TOTP-enrolled account adds no look-up before the password
// passed); reset requests answer alike too. Medians of interleaved samples are compared
// with a generous tolerance, so a loaded machine does not make the test flaky, while a
// path that skipped the hash (several times faster) still fails it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resetAnswerFloorMs } from '../../src/accounts/password-reset.js';
import { defaultThrottleRules } from '../../src/credentials/throttle.js';
import { enrolTotp } from '../support/admin.js';
import { api, signUp, startApp, type ApiResponse, type TestApp } from '../support/harness.js';

const samples = Number(process.env.TIMING_SAMPLES ?? 40);
// Costlier than the other tests' parameters, so a skipped verification would stand out.
const timedHash = 'argon2id:m=8192,t=2,p=1';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** The two medians are within 2× of each other, or closer than an absolute floor. */
function assertSameProfile(what: string, unknown: number[], wrong: number[]): void {
  const [a, b] = [median(unknown), median(wrong)];
  const close = Math.max(a, b) / Math.min(a, b) <= 2 || Math.abs(a - b) < 1.5;
  assert.ok(close, `${what}: unknown-user median ${a.toFixed(2)} ms, wrong-password median ${b.toFixed(2)} ms`);
}

/** The body without what differs by design between two calls (timings, ids, times). */
const shapeOf = (response: ApiResponse): string =>
  `${response.status} ${JSON.stringify(response.body, (key, value) => (['processing_time', 'reset_id', 'expires_at', 'correlation_id'].includes(key) ? '*' : value))}`;

describe('unknown users and wrong passwords look alike', () => {
  let app: TestApp;
  let counter = 0;
  before(async () => {
    const throttleRules = { ...defaultThrottleRules, freeFailures: 1e9, addressFailuresPerWindow: 1e9, resetRequestsPerName: 1e9, resetRequestsPerAddress: 1e9 };
    app = await startApp({ PASSWORD_HASH: timedHash, SESSION_LIMIT_PER_USER: '0' }, { throttleRules });
    const alice = await signUp(app, 'alice');
    await enrolTotp(app, alice.userId); // the wrong-password side has a second factor
  });
  after(() => app.close());

  /** Interleaved timings of the two kinds of attempt; also checks their answers match. */
  async function timings(attempt: (username: string) => Promise<ApiResponse>): Promise<{ unknown: number[]; wrong: number[] }> {
    const unknown: number[] = [];
    const wrong: number[] = [];
    const time = async (username: string, into: number[]) => {
      const started = performance.now();
      const response = await attempt(username);
      into.push(performance.now() - started);
      return response;
    };
    await attempt('warm-up');
    for (let n = 0; n < samples; n++) {
      const a = await time(`nobody${++counter}`, unknown);
      const b = await time('alice', wrong);
      assert.equal(shapeOf(a), shapeOf(b));
    }
    return { unknown, wrong };
  }

  test('REST POST /api/user/session/create', async () => {
    const { unknown, wrong } = await timings((username) => api(app.url, '/api/user/session/create', { body: { username, password: 'wrong horse battery staple' } }));
    assertSameProfile('REST login', unknown, wrong);
  });

  test('RPC open_session', async () => {
    const { unknown, wrong } = await timings((user) => api(app.url, '/rpc', { body: { method: 'open_session', authentication: { user, secret: 'wrong horse battery staple' } } }));
    assertSameProfile('RPC open_session', unknown, wrong);
  });

  test('v2 RequestLoginToken', async () => {
    const { unknown, wrong } = await timings((username) => api(app.url, '/api/v2/RequestLoginToken', { body: { username, password: 'wrong horse battery staple' } }));
    assertSameProfile('v2 RequestLoginToken', unknown, wrong);
  });

  test('v2 RequestAccountReset answers alike for known and unknown accounts', async () => {
    // The known account's transaction is made slower than it ever is idle, so the test
    // shows the floor hiding a real cost rather than two paths that happen to be close:
    // without the floor (or with a floor counted after the work), every known answer comes
    // `knownExtraMs` later, which the tolerance below is well under.
    const knownExtraMs = 10;
    const store = app.core.store;
    const transaction = store.transaction.bind(store);
    store.transaction = async (work) => {
      await new Promise((resolve) => setTimeout(resolve, knownExtraMs));
      return transaction(work);
    };
    try {
      const { unknown, wrong: known } = await timings((username) => api(app.url, '/api/v2/RequestAccountReset', { body: { username } }));
      const [a, b] = [median(unknown), median(known)];
      assert.ok(Math.min(a, b) >= resetAnswerFloorMs, `reset answers came before the ${resetAnswerFloorMs} ms floor: ${a.toFixed(2)} / ${b.toFixed(2)} ms`);
      // Each known request is compared with the unknown one just before it, so load that
      // comes and goes during the run (the other test files) falls on both sides of a pair.
      const shift = median(known.map((value, n) => value - unknown[n]!));
      assert.ok(Math.abs(shift) < knownExtraMs / 2, `v2 RequestAccountReset: known accounts answer ${shift.toFixed(2)} ms later than unknown ones (medians ${b.toFixed(2)} / ${a.toFixed(2)} ms)`);
    } finally {
      store.transaction = transaction;
    }
    await app.core.mail.drain();
  });
});
