'use strict';
// Credentials of the spec's security schemes (templates/javascript/runtime/security.js), as
// the Python runtime sends them (_api_client.py _authorize, _credential, _secrets), on a
// scripted transport: what goes where, which scheme of several, the tokenManager's bearer
// token and its renewal after a 401, client_secret_basic, checks and redaction.

const assert = require('node:assert/strict');
const util = require('node:util');
const { describe, test } = require('node:test');

const {
  ApiClient, Model, OAuthError, SECURED_OPERATION, TOKEN, TokenManager, errors, scriptedClient,
} = require('./fixture');

const API_KEY = 'key-Zt4Gy6Uw1 +/=';
const TOKEN_VALUE = 'access-Lk9Mj8/Nh7+Bg6=';
const PASSWORD = 'pässwörd:+&x';
const noContent = () => ({ status: 204 });

/** getSecured through a scripted client with `options`; resolves {error, requests, client}. */
async function secured(options, args = {}, script = noContent) {
  const { client, requests } = scriptedClient(script, { client: { retries: 0, ...options } });
  const error = await new Promise((resolve) => {
    client.callApi(SECURED_OPERATION, args, (failure) => resolve(failure));
  });
  return { error, requests, client };
}

/** A tokenManager that hands out token-1, token-2, ... and records what it was told. */
function fakeManager() {
  const manager = {
    issued: 0,
    invalidated: [],
    async getToken() {
      manager.issued += 1;
      return `token-${manager.issued}`;
    },
    invalidate(token) {
      manager.invalidated.push(token);
    },
  };
  return manager;
}

describe('where each scheme\'s credentials go', () => {
  test('an API key in a header, with its prefix', async () => {
    const { requests } = await secured({ apiKey: { apiKeyHeader: API_KEY }, apiKeyPrefix: { apiKeyHeader: 'Token' } });
    assert.equal(requests[0].headers['X-API-Key'], `Token ${API_KEY}`);
    assert.equal(requests[0].headers.Authorization, undefined);
    assert.equal(requests[0].path, '/secured');
  });

  test('an API key in the query, after the parameters, form-encoded as quote_plus does', async () => {
    const { requests } = await secured({ apiKey: { apiKeyQuery: API_KEY } }, { fields: 'a b' });
    assert.equal(requests[0].path, '/secured?fields=a+b&api_key=key-Zt4Gy6Uw1+%2B%2F%3D');
    const { requests: alone } = await secured({ apiKey: { apiKeyQuery: 'k~*' } });
    assert.equal(alone[0].path, '/secured?api_key=k~%2A');
  });

  test('an API key in a cookie, after the cookie parameters', async () => {
    const { requests } = await secured({ apiKey: { apiKeyCookie: 'c-123' } }, { theme: 'dark' });
    assert.equal(requests[0].headers.Cookie, 'theme=dark; session_key=c-123');
    const { requests: alone } = await secured({ apiKey: { apiKeyCookie: 'c-123' } });
    assert.equal(alone[0].headers.Cookie, 'session_key=c-123');
  });

  test('accessToken as a bearer token; username and password as HTTP Basic over UTF-8', async () => {
    const { requests } = await secured({ accessToken: TOKEN_VALUE });
    assert.equal(requests[0].headers.Authorization, `Bearer ${TOKEN_VALUE}`);
    const { requests: basic } = await secured({ username: 'ann', password: 'päss' });
    assert.equal(basic[0].headers.Authorization, 'Basic YW5uOnDDpHNz'); // what Python's basic_authorization gives
    const { requests: empty } = await secured({ username: 'ann', password: '' });
    assert.equal(empty[0].headers.Authorization, 'Basic YW5uOg==', 'an empty password is still a password');
  });

  test('the first scheme of the operation that is configured, and only that one', async () => {
    const all = { apiKey: { apiKeyHeader: 'h-1', apiKeyQuery: 'q-1', apiKeyCookie: 'c-1' }, accessToken: 't-1', username: 'u', password: 'p' };
    const { requests } = await secured(all);
    assert.deepEqual([requests[0].headers['X-API-Key'], requests[0].headers.Authorization, requests[0].path, requests[0].headers.Cookie],
      ['h-1', undefined, '/secured', undefined]);
    const { requests: second } = await secured({ ...all, apiKey: { apiKeyQuery: 'q-1' } });
    assert.equal(second[0].headers.Authorization, 'Bearer t-1');
    const { requests: third } = await secured({ apiKey: { apiKeyCookie: 'c-1' }, username: 'u', password: 'p' });
    assert.equal(third[0].headers.Authorization, 'Basic dTpw');
    assert.equal(third[0].headers.Cookie, undefined);
    const { requests: none } = await secured({ username: 'u' }); // no password: Basic is not configured
    assert.deepEqual([none[0].headers.Authorization, none[0].headers['X-API-Key'], none[0].path], [undefined, undefined, '/secured']);
  });

  test('an operation without security sends no credentials, and credentials replace them for a call', async () => {
    const open = { ...SECURED_OPERATION, authNames: [] };
    const { client, requests } = scriptedClient(noContent, { client: { accessToken: 't-1', apiKey: { apiKeyHeader: 'h-1' } } });
    await client.callApi(open, {});
    assert.deepEqual([requests[0].headers.Authorization, requests[0].headers['X-API-Key']], [undefined, undefined]);
    await client.callApi(SECURED_OPERATION, {}, undefined, { credentials: { Authorization: 'Basic eDp5' } });
    assert.deepEqual([requests[1].headers.Authorization, requests[1].headers['X-API-Key']], ['Basic eDp5', undefined]);
  });

  test('settings changed after the client was made apply from the next call', async () => {
    const { client, requests } = scriptedClient(noContent, { client: { accessToken: 't-1' } });
    await client.callApi(SECURED_OPERATION, {});
    client.accessToken = 't-2';
    await client.callApi(SECURED_OPERATION, {});
    assert.deepEqual(requests.map((request) => request.headers.Authorization), ['Bearer t-1', 'Bearer t-2']);
  });
});

describe('a tokenManager', () => {
  test('supplies the bearer token of an OAuth 2.0 scheme; a 401 fetches a new one and sends once more', async () => {
    const manager = fakeManager();
    const { error, requests } = await secured({ tokenManager: manager }, {}, (attempt) => (attempt === 0 ? { status: 401, body: { error: 'invalid_token' } } : { status: 204 }));
    assert.equal(error, null);
    assert.deepEqual(requests.map((request) => request.headers.Authorization), ['Bearer token-1', 'Bearer token-2']);
    assert.deepEqual(manager.invalidated, ['token-1']);
  });

  test('a second 401 is raised; the manager is not asked a third time', async () => {
    const manager = fakeManager();
    const { error, requests } = await secured({ tokenManager: manager }, {}, () => ({ status: 401, body: { error: 'invalid_token', error_description: 'token-2 is revoked' } }));
    assert.ok(error instanceof errors.UnauthorizedException);
    assert.equal(requests.length, 2);
    assert.equal(manager.issued, 2);
    assert.ok(!error.message.includes('token-2') && !error.error_description.includes('token-2'), error.message);
  });

  test('a configured scheme listed before the OAuth one wins; useTokenManager: false leaves it out', async () => {
    const manager = fakeManager();
    const { requests } = await secured({ tokenManager: manager, apiKey: { apiKeyHeader: 'h-1' } });
    assert.equal(requests[0].headers['X-API-Key'], 'h-1');
    assert.equal(manager.issued, 0);
    const { client, requests: own } = scriptedClient(noContent, { client: { tokenManager: manager, accessToken: 'static' } });
    await client.callApi(SECURED_OPERATION, {}, undefined, { useTokenManager: false });
    assert.equal(own[0].headers.Authorization, 'Bearer static');
    assert.equal(manager.issued, 0);
  });

  test('its failure is the call\'s error, and nothing is sent', async () => {
    const failure = new errors.ApiConnectionError('no token', { connected: false });
    const manager = { getToken: async () => { throw failure; }, invalidate: () => {} };
    const { error, requests } = await secured({ tokenManager: manager });
    assert.equal(error, failure);
    assert.equal(requests.length, 0);
  });

  test('a TokenManager with clientAuth basic sends client_secret_basic: id and secret form-encoded, then Basic', async () => {
    class TokenRequest extends Model {}
    TokenRequest.attributes = Object.freeze([
      Object.freeze({ name: 'grant_type', type: 'String', required: true }),
      Object.freeze({ name: 'refresh_token', type: 'String', secret: true }),
    ]);
    const operation = Object.freeze({
      operationId: 'token', method: 'POST', path: '/token', contentType: 'application/x-www-form-urlencoded', accept: 'application/json',
      authNames: ['basicAuth'],
      params: [{ name: 'tokenRequest', baseName: 'tokenRequest', in: 'body', type: TokenRequest, required: true }],
      returnType: null, tokenGrants: Object.freeze(['refresh_token']), responses: { 200: null, 401: OAuthError },
    });
    class BasicTokenManager extends TokenManager {}
    BasicTokenManager.operation = operation;
    BasicTokenManager.clientAuth = 'basic';
    const { client, requests } = scriptedClient(() => ({ status: 200, body: TOKEN }), { client: { username: 'ignored', password: 'ignored' } });
    const manager = new BasicTokenManager({ clientId: 'partner id', clientSecret: 's3c:r/t~*', refreshToken: 'stored', apiClient: client });
    assert.equal(await manager.getToken(), TOKEN.access_token);
    // Python: basic_authorization(quote_plus('partner id'), quote_plus('s3c:r/t~*')).
    assert.equal(requests[0].headers.Authorization, `Basic ${Buffer.from('partner+id:s3c%3Ar%2Ft~%2A').toString('base64')}`);
    assert.equal(requests[0].payload.toString(), 'grant_type=refresh_token&refresh_token=stored');
  });
});

describe('checks and secrets', () => {
  test('options are checked before anything is sent, naming the option and never a value', () => {
    assert.throws(() => new ApiClient({ apiKey: { apiKeyHeadr: API_KEY } }),
      (error) => error instanceof errors.ApiValueError && /apiKey names 'apiKeyHeadr'.*'apiKeyHeader', 'apiKeyQuery', 'apiKeyCookie'/.test(error.message) && !error.message.includes(API_KEY));
    assert.throws(() => new ApiClient({ apiKey: { apiKeyHeader: 42 } }), (error) => error instanceof errors.ApiTypeError && /apiKey\['apiKeyHeader'\] must be a string/.test(error.message));
    assert.throws(() => new ApiClient({ apiKeyPrefix: 'Token' }), errors.ApiTypeError);
    assert.throws(() => new ApiClient({ accessToken: 12 }), (error) => error instanceof errors.ApiTypeError && /accessToken must be a string/.test(error.message));
    assert.throws(() => new ApiClient({ tokenManager: { getToken() {} } }), (error) => error instanceof errors.ApiTypeError && /tokenManager must have getToken\(\) and invalidate/.test(error.message));
  });

  test('a credential that cannot be a header is refused, naming the scheme, and nothing is sent', async () => {
    const { client, requests } = scriptedClient(noContent, { client: { accessToken: `${TOKEN_VALUE}\r\nX-Injected: 1` } });
    assert.throws(() => client.callApi(SECURED_OPERATION, {}, () => assert.fail('called back')),
      (error) => error instanceof errors.ApiValueError && /credentials of oauth/.test(error.message) && !error.message.includes(TOKEN_VALUE));
    assert.equal(requests.length, 0);
  });

  test('credentials stay out of console output', () => {
    const client = new ApiClient({ apiKey: { apiKeyHeader: API_KEY }, accessToken: TOKEN_VALUE, username: 'ann', password: PASSWORD });
    const shown = `${util.inspect(client, { depth: 5 })} ${JSON.stringify(client)}`;
    for (const secret of [API_KEY, TOKEN_VALUE, PASSWORD]) {
      assert.ok(!shown.includes(secret), secret);
    }
    assert.equal(client.accessToken, TOKEN_VALUE, 'still readable by name');
  });

  const echo = (attempt, request) => {
    const authorization = request.headers.Authorization || '';
    const pair = authorization.startsWith('Basic ') ? Buffer.from(authorization.slice(6), 'base64').toString() : '';
    const sent = `${authorization} ${request.headers['X-API-Key'] || ''} ${request.path} ${pair}`;
    return { status: 400, statusText: `Bad ${request.headers['X-API-Key'] || 'Request'}`, body: { error: 'invalid_request', error_description: `you sent ${sent}` } };
  };
  for (const [name, options, secrets] of [
    ['an API key in a header', { apiKey: { apiKeyHeader: API_KEY } }, [API_KEY]],
    ['an API key in the query', { apiKey: { apiKeyQuery: API_KEY } }, [API_KEY, 'key-Zt4Gy6Uw1+%2B%2F%3D']],
    ['a bearer token', { accessToken: TOKEN_VALUE }, [TOKEN_VALUE]],
    ['an HTTP Basic password, as sent and decoded', { username: 'ann', password: PASSWORD }, [PASSWORD, Buffer.from(`ann:${PASSWORD}`).toString('base64')]],
  ]) {
    test(`${name} a server echoes is redacted from the error`, async () => {
      const { error } = await secured(options, {}, echo);
      assert.ok(error instanceof errors.BadRequestException);
      assert.match(error.error_description, /\[redacted\]/);
      const shown = [error.message, error.body, error.statusText, error.error_description, util.inspect(error)].join('\n');
      for (const secret of secrets) {
        assert.ok(!shown.includes(secret), `${secret} shows in ${shown}`);
      }
    });
  }

  test('the password inside a client_secret_basic Authorization is redacted, as sent and form-decoded', async () => {
    const secret = 's3c:r/t~* x';
    const value = Buffer.from(`id:${'s3c%3Ar%2Ft~%2A+x'}`).toString('base64');
    const { client } = scriptedClient(() => ({ status: 400, body: { error: 'invalid_client', error_description: `bad s3c%3Ar%2Ft~%2A+x or ${secret}` } }), { client: { retries: 0 } });
    const error = await new Promise((resolve) => {
      client.callApi(SECURED_OPERATION, {}, (failure) => resolve(failure), { credentials: { Authorization: `Basic ${value}` } });
    });
    assert.equal(error.error_description, 'bad [redacted] or [redacted]');
  });
});
