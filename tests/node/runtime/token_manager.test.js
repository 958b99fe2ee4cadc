'use strict';
// The runtime's TokenManager (templates/javascript/runtime/token_manager.js), as source, on
// a scripted transport and a fake clock: caching with leeway, one request for any number
// of callers, refresh-token rotation, invalidate, onToken, and typed errors.

const assert = require('node:assert/strict');
const util = require('node:util');
const { describe, test } = require('node:test');

const { TokenManager, errors, scriptedClient } = require('./fixture');

const token = (n, extra) => ({ access_token: `access-${n}`, token_type: 'Bearer', expires_in: 900, refresh_token: `refresh-${n}`, ...extra });

/** A manager on a scripted client; `answers(attempt, fields)` gives {status, body}. */
function managed(answers, options = {}) {
  const now = { t: 1000 };
  const scripted = scriptedClient((attempt, request) => answers(attempt, Object.fromEntries(new URLSearchParams(request.payload.toString()))), { client: { retries: 0 } });
  const manager = new TokenManager({
    clientId: 'partner', clientSecret: 'secret-0123456789', apiClient: scripted.client, clock: () => now.t, ...options,
  });
  const sent = () => scripted.requests.map((request) => Object.fromEntries(new URLSearchParams(request.payload.toString())));
  return { manager, now, sent };
}

describe('TokenManager', () => {
  test('caches the token until expires_in minus the leeway, then fetches again', async () => {
    const { manager, now, sent } = managed((attempt) => ({ status: 200, body: token(attempt, { refresh_token: undefined }) }));
    assert.equal(await manager.getToken(), 'access-0');
    now.t += 839;
    assert.equal(await manager.getToken(), 'access-0');
    now.t += 1; // 900 - 60 s
    assert.equal(await manager.getToken(), 'access-1');
    assert.equal(sent().length, 2);
    assert.deepEqual(sent()[0], { client_id: 'partner', client_secret: 'secret-0123456789', grant_type: 'client_credentials' });
    assert.equal(manager.token.access_token, 'access-1');
  });

  test('a short-lived token is renewed at half its lifetime, not after', async () => {
    const { manager, now, sent } = managed((attempt) => ({ status: 200, body: token(attempt, { expires_in: 60 }) }));
    await manager.getToken();
    now.t += 29.9;
    await manager.getToken();
    assert.equal(sent().length, 1);
    now.t += 0.1;
    await manager.getToken();
    assert.equal(sent().length, 2);
  });

  test('one request for any number of concurrent callers', async () => {
    const { manager, sent } = managed(() => ({ status: 200, body: token(1) }));
    const tokens = await Promise.all(Array.from({ length: 50 }, () => manager.getToken()));
    assert.deepEqual(new Set(tokens), new Set(['access-1']));
    assert.equal(sent().length, 1);
  });

  test('one failure reaches every waiting caller; the next call tries again', async () => {
    const { manager, sent } = managed((attempt) => (attempt === 0 ? { status: 500, body: { error: 'server_error' } } : { status: 200, body: token(1) }));
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => manager.getToken()));
    assert.ok(results.every((result) => result.status === 'rejected' && result.reason instanceof errors.ServiceException));
    assert.equal(sent().length, 1);
    assert.equal(await manager.getToken(), 'access-1');
  });

  test('a rotated refresh token is kept and used next; onToken sees every token', async () => {
    const seen = [];
    const { manager, now, sent } = managed((attempt) => ({ status: 200, body: token(attempt + 1) }), {
      refreshToken: 'stored', onToken: (answer) => seen.push(answer.refresh_token),
    });
    await manager.getToken();
    now.t += 1000;
    await manager.getToken();
    assert.deepEqual(sent().map((fields) => [fields.grant_type, fields.refresh_token]), [['refresh_token', 'stored'], ['refresh_token', 'refresh-1']]);
    assert.deepEqual(seen, ['refresh-1', 'refresh-2']);
  });

  test('onToken is awaited; if it fails, the call that fetched fails with its error', async () => {
    let stored = null;
    const slow = managed(() => ({ status: 200, body: token(1) }), {
      onToken: async (answer) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        stored = answer.refresh_token;
      },
    });
    await slow.manager.getToken();
    assert.equal(stored, 'refresh-1');
    const failing = managed(() => ({ status: 200, body: token(1) }), {
      onToken: () => {
        throw new Error('database down');
      },
    });
    await assert.rejects(failing.manager.getToken(), /database down/);
  });

  test('invalidate(token) forgets only the current token: many 401s, one renewal', async () => {
    const { manager, sent } = managed((attempt) => ({ status: 200, body: token(attempt) }));
    const first = await manager.getToken();
    manager.invalidate(first);
    manager.invalidate(first);
    const second = await manager.getToken();
    manager.invalidate(first);
    assert.equal(await manager.getToken(), second);
    assert.equal(sent().length, 2);
    manager.invalidate();
    assert.equal(await manager.getToken(), 'access-2');
  });

  test('expires_in that is not a finite positive number: MalformedResponseError, nothing cached', async () => {
    for (const expires of [0, -5]) {
      const { manager, sent } = managed(() => ({ status: 200, body: token(1, { expires_in: expires }) }));
      await assert.rejects(manager.getToken(), (error) => error instanceof errors.MalformedResponseError
        && /expires_in is not a positive number/.test(error.message) && !error.message.includes('access-1'));
      assert.equal(manager.token, null);
      await assert.rejects(manager.getToken(), errors.MalformedResponseError);
      assert.equal(sent().length, 2);
    }
    // Not numbers, or not integers as the spec says (1e400 parses as Infinity).
    for (const expires of ['"soon"', '[900]', '1.5', '1e400']) {
      const body = `{"access_token":"access-1","token_type":"Bearer","expires_in":${expires}}`;
      const { manager } = managed(() => ({ status: 200, body }));
      await assert.rejects(manager.getToken(), errors.MalformedResponseError);
      assert.equal(manager.token, null);
    }
  });

  test('an answer refused for its expires_in that rotates the refresh token: the new one is kept', async () => {
    // The server spent refresh-0 when it answered: only the rotated one works now.
    for (const expires of ['0', '-5', '"900"']) {
      const body = `{"access_token":"access-1","token_type":"Bearer","refresh_token":"refresh-new-1","expires_in":${expires}}`;
      const seen = [];
      const { manager, sent } = managed((attempt) => (attempt === 0 ? { status: 200, body } : { status: 200, body: token(2) }),
        { refreshToken: 'refresh-0', onToken: (answer) => { seen.push(answer.refresh_token); } });
      await assert.rejects(manager.getToken(), (error) => error instanceof errors.MalformedResponseError
        && !error.body.includes('refresh-new-1') && !error.body.includes('access-1') && !util.inspect(error).includes('refresh-new-1'));
      assert.equal(manager.token, null);
      // Read by the manager (a number, not positive): onToken hears of it, to store it.
      assert.deepEqual(seen, expires === '"900"' ? [] : ['refresh-new-1']);
      assert.equal(await manager.getToken(), 'access-2');
      assert.deepEqual(sent().map((fields) => fields.refresh_token), ['refresh-0', 'refresh-new-1']);
    }
    // Without a new refresh token, the old one stays and onToken hears nothing.
    const seen = [];
    const { manager, sent } = managed((attempt) => ({ status: 200, body: token(attempt, { expires_in: attempt === 0 ? 0 : 900, refresh_token: undefined }) }),
      { refreshToken: 'refresh-0', onToken: (answer) => { seen.push(answer); } });
    await assert.rejects(manager.getToken(), errors.MalformedResponseError);
    assert.equal(await manager.getToken(), 'access-1');
    assert.deepEqual(sent().map((fields) => fields.refresh_token), ['refresh-0', 'refresh-0']);
    assert.equal(seen.length, 1);
  });

  test('a refresh token rejected with invalid_grant is dropped: client credentials next', async () => {
    const { manager, sent } = managed((attempt) => (attempt === 0
      ? { status: 400, body: { error: 'invalid_grant' } }
      : { status: 200, body: token(1, { refresh_token: undefined }) }), { refreshToken: 'revoked' });
    assert.equal(await manager.getToken(), 'access-1');
    assert.deepEqual(sent().map((fields) => fields.grant_type), ['refresh_token', 'client_credentials']);
  });

  test('without client credentials, a rejected refresh token says a new authorization is needed', async () => {
    class RefreshOnly extends TokenManager {}
    RefreshOnly.operation = { ...TokenManager.operation, tokenGrants: ['refresh_token', 'authorization_code'] };
    const now = { t: 0 };
    const scripted = scriptedClient(() => ({ status: 400, body: { error: 'invalid_grant', error_description: 'revoked' } }), { client: { retries: 0 } });
    const manager = new RefreshOnly({ clientId: 'p', clientSecret: 's', refreshToken: 'revoked', apiClient: scripted.client, clock: () => now.t });
    await assert.rejects(manager.getToken(), (error) => error instanceof errors.BadRequestException
      && error.error === 'invalid_grant' && /a new authorization is needed \(exchangeCode\)/.test(error.message));
    await assert.rejects(manager.getToken(), (error) => error instanceof errors.ApiValueError && /no refresh token/.test(error.message));
    assert.equal(scripted.requests.length, 1);
  });

  test('exchangeCode makes the first exchange and keeps the refresh token', async () => {
    const { manager, now, sent } = managed((attempt) => ({ status: 200, body: token(attempt + 1) }));
    const first = await manager.exchangeCode('code-1');
    assert.equal(first.access_token, 'access-1');
    assert.equal(await manager.getToken(), 'access-1');
    now.t += 1000;
    await manager.getToken();
    assert.deepEqual(sent().map((fields) => [fields.grant_type, fields.code || fields.refresh_token]), [['authorization_code', 'code-1'], ['refresh_token', 'refresh-1']]);
    await assert.rejects(manager.exchangeCode('code-2', 'https://app.example/cb'), /takes no redirect_uri/);
    await assert.rejects(manager.exchangeCode(''), errors.ApiValueError);
  });

  test('the client id and secret may come first, as the Python packages take them', async () => {
    const scripted = scriptedClient(() => ({ status: 200, body: token(1) }), { client: { retries: 0 } });
    const manager = new TokenManager('partner', 'secret-0123456789', { refreshToken: 'stored', apiClient: scripted.client });
    assert.equal(await manager.getToken(), 'access-1');
    const sent = Object.fromEntries(new URLSearchParams(scripted.requests[0].payload.toString()));
    assert.deepEqual(sent, { client_id: 'partner', client_secret: 'secret-0123456789', grant_type: 'refresh_token', refresh_token: 'stored' });
    assert.throws(() => new TokenManager('partner'), /TokenManager needs clientSecret/);
  });

  test('bad options are refused at once; credentials stay out of console output', () => {
    assert.throws(() => new TokenManager({ clientId: 'p' }), (error) => error instanceof errors.ApiValueError && /clientSecret/.test(error.message));
    assert.throws(() => new TokenManager({ clientId: 'p', clientSecret: 's', client_secret: 's' }), /no option 'client_secret'/);
    assert.throws(() => new TokenManager({ clientId: 'p', clientSecret: 's', leeway: -1 }), /leeway/);
    assert.throws(() => new TokenManager({ clientId: 'p', clientSecret: 's', onToken: 'store' }), /onToken/);
    const manager = new TokenManager({ clientId: 'p', clientSecret: 'secret-0123456789', refreshToken: 'refresh-0123456789', apiClient: scriptedClient(() => ({ status: 200 })).client });
    const shown = util.inspect(manager, { depth: 5 }) + JSON.stringify(Object.keys(manager));
    assert.ok(!shown.includes('secret-0123456789') && !shown.includes('refresh-0123456789'), shown);
  });

  test("its requests carry no credential of the client's security schemes, only the client's own", async () => {
    // The token operation secured as the rest of an API is (PandaDoc's API key, Criteo's
    // bearer token): a TokenManager's request still authenticates the client one way.
    class Secured extends TokenManager {}
    Secured.operation = Object.freeze({ ...TokenManager.operation, authNames: ['apiKeyHeader', 'oauth', 'basicAuth'] });
    const scripted = scriptedClient(() => ({ status: 200, body: token(1) }), {
      client: { retries: 0, apiKey: { apiKeyHeader: 'api-key-123' }, accessToken: 'api-bearer-456', username: 'u', password: 'p', defaultHeaders: { authorization: 'API-Key default-789' } },
    });
    const manager = new Secured({ clientId: 'partner', clientSecret: 'secret-0123456789', apiClient: scripted.client });
    assert.equal(await manager.getToken(), 'access-1');
    const headers = Object.keys(scripted.requests[0].headers).map((name) => name.toLowerCase());
    assert.ok(!headers.includes('authorization') && !headers.includes('x-api-key'), headers.join(', '));
    assert.equal(new URLSearchParams(scripted.requests[0].payload.toString()).get('client_secret'), 'secret-0123456789');
  });
});
