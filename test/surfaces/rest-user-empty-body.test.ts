// Clients that always send `Content-Type: application/json` may send it with no body:
// that is no body, not malformed JSON. A route that needs a body still says which fields.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, signUp, startApp, type TestApp } from '../support/harness.js';

let app: TestApp;
before(async () => (app = await startApp()));
after(() => app.close());

test('logout with a JSON content type and an empty body succeeds', async () => {
  const { cookie, sessionId } = await signUp(app, 'emptybody');
  const response = await api(app.url, '/api/user/session/delete', { method: 'DELETE', cookie, rawBody: '', headers: { 'content-type': 'application/json' } });
  assert.equal(response.status, 200);
  assert.equal(response.body.data.session_id, sessionId);
});

test('a route that needs a body answers validation_failed for an empty one', async () => {
  const response = await api(app.url, '/api/user/register', { rawBody: '  ', headers: { 'content-type': 'application/json' } });
  assert.equal(response.status, 400);
  assert.equal(response.body.error.code, 'validation_failed');
});
