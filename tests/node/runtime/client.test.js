'use strict';
// The runtime's ApiClient (templates/javascript/runtime/api_client.js), as source, on a scripted
// transport: what it sends, what it retries and how long it waits, how it reads answers,
// and which host it talks to. Nothing goes on the network.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { describe, test } = require('node:test');

const {
  ApiClient, THING_OPERATION, TOKEN, TOKEN_OPERATION, TokenAnswer, TokenRequest, OAuthError,
  callToken, errors, scriptedClient,
} = require('./fixture');

const SECRET = 'sé cret&=+/?#%~*';
const CODE = 'code-0123456789abcdef';
const REFRESH = 'refresh-Tøken+/=';

const credentials = (grant, extra) => ({ client_id: 'partner', client_secret: SECRET, grant_type: grant, ...extra });
const refresh = credentials('refresh_token', { refresh_token: REFRESH });
const clientCredentials = credentials('client_credentials');
const ok = () => ({ status: 200, body: TOKEN });

describe('what the client sends', () => {
  test('a body model sent as a form: method, URL, headers, form fields in schema order, encoded as Python\'s urlencode does', async () => {
    const { client, requests } = scriptedClient(ok, { client: { basePath: undefined, server: 'test' } });
    const { error, data } = await callToken(client, { ...refresh, scope: 'read write' }, { requestId: 'req-1' });
    assert.equal(error, null);
    assert.ok(data instanceof TokenAnswer);
    assert.equal(requests.length, 1);
    const [request] = requests;
    assert.deepEqual([request.protocol, request.hostname, request.port, request.path, request.method],
      ['https:', 'sandbox.example.com', '', '/v1/oauth/token', 'POST']);
    // What urllib.parse.urlencode gives for these fields: '~' as it is, '*' as %2A.
    const expected = 'client_id=partner&client_secret=s%C3%A9+cret%26%3D%2B%2F%3F%23%25~%2A&grant_type=refresh_token'
      + '&refresh_token=refresh-T%C3%B8ken%2B%2F%3D&scope=read+write';
    assert.equal(request.payload.toString('latin1'), expected);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(expected)), { ...refresh, scope: 'read write' });
    assert.deepEqual(request.headers, {
      'User-Agent': 'runtime-test/1.0 (Node.js)',
      'x-request-id': 'req-1',
      Accept: 'application/json',
      'Content-Type': 'application/x-www-form-urlencoded',
      'Content-Length': String(expected.length),
    });
    assert.deepEqual(request.timeout, { connect: 10000, read: 30000 });
    assert.equal(request.maxResponseBytes, 1024 * 1024);
  });

  test('the other locations: path, repeated query, cookie, header; a model body as JSON, unmasked', async () => {
    const { client, requests } = scriptedClient(() => ({ status: 204 }));
    const body = new TokenRequest({ ...refresh });
    const { error, data } = await client.callApi(THING_OPERATION, {
      thingId: 'a/b c', tags: ['x y', 'z&'], limit: 5, session: 's 1', apiKey: 'key-123', body,
    });
    assert.equal(error, undefined);
    assert.equal(data, null);
    const [request] = requests;
    assert.equal(request.path, '/things/a%2Fb%20c?tag=x+y&tag=z%26&limit=5');
    assert.equal(request.headers.Cookie, 'session=s%201');
    assert.equal(request.headers['X-Api-Key'], 'key-123');
    assert.equal(request.headers['Content-Type'], 'application/json');
    assert.deepEqual(JSON.parse(request.payload.toString()), { ...refresh });
  });

  test('bad arguments throw at once, name the parameter, and nothing is sent', () => {
    const { client, requests } = scriptedClient(ok);
    const cases = [
      [{}, errors.ApiValueError, /Missing the required parameter 'tokenRequest' when calling createToken/],
      [{ tokenRequest: { ...refresh, refreshTokn: 'x' } }, errors.ApiTypeError, /Unknown field 'refreshTokn' in 'tokenRequest' when calling createToken \(did you mean 'refresh_token'\?\)/],
      [{ tokenRequest: { ...refresh, grant_type: 'password' } }, errors.ApiValueError, /'grant_type' in 'tokenRequest' when calling createToken: "password" is not one of/],
      [{ tokenRequest: { ...refresh, client_secret: 123456 } }, errors.ApiTypeError, /Expected a string for 'client_secret'/],
      [{ tokenRequest: refresh, requestId: 'abc' }, errors.ApiValueError, /'requestId' when calling createToken: must have at least 4/],
      [{ tokenRequest: refresh, requestId: 'ab\r\nX-Injected: 1' }, errors.ApiValueError, /'requestId'/],
      [{ tokenRequest: 'client_id=partner' }, errors.ApiTypeError, /Expected a TokenRequest or a plain object/],
    ];
    for (const [args, ErrorClass, message] of cases) {
      assert.throws(() => client.callApi(TOKEN_OPERATION, args, () => assert.fail('called back')), (error) => {
        assert.ok(error instanceof ErrorClass, `${error.name}: ${error.message}`);
        assert.match(error.message, message);
        assert.ok(!error.message.includes(SECRET) && !error.message.includes(REFRESH));
        return true;
      });
    }
    assert.throws(() => client.callApi(TOKEN_OPERATION, { tokenRequest: refresh }, 'callback'), errors.ApiTypeError);
    assert.throws(() => client.callApi(THING_OPERATION, { thingId: 'a', limit: 0 }), /'limit' when calling getThing: must be at least 1/);
    assert.throws(() => client.callApi(THING_OPERATION, { thingId: 'a', apiKey: 'key\n' }), /printable ASCII/);
    assert.equal(requests.length, 0);
  });

  test('without a callback: a Promise of {data, response}, rejected with the error', async () => {
    const { client } = scriptedClient((attempt) => (attempt === 0 ? ok() : { status: 401, body: { error: 'invalid_client' } }));
    const { data, response } = await client.callApi(TOKEN_OPERATION, { tokenRequest: refresh });
    assert.equal(data.access_token, TOKEN.access_token);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, TOKEN);
    await assert.rejects(client.callApi(TOKEN_OPERATION, { tokenRequest: refresh }), errors.UnauthorizedException);
  });
});

describe('retries', () => {
  const refused = () => new errors.ApiConnectionError('could not connect for POST x: connect ECONNREFUSED', { connected: false, code: 'ECONNREFUSED' });
  const reset = () => new errors.ApiConnectionError('connection failed during POST x: socket hang up', { connected: true, code: 'ECONNRESET' });
  const status = (code, headers) => () => ({ status: code, headers, body: { error: `e${code}` } });

  // [what, grant fields, answer, attempts, waits, error class, retryAfter]
  const TABLE = [
    ['refused', clientCredentials, refused, 3, [0.25, 0.5], 'ApiConnectionError', null],
    ['refused, single-use grant', refresh, refused, 3, [0.25, 0.5], 'ApiConnectionError', null],
    ['reset once connected', clientCredentials, reset, 1, [], 'ApiConnectionError', null],
    ['503', clientCredentials, status(503), 3, [0.25, 0.5], 'ServiceException', null],
    ['503, single-use grant', refresh, status(503), 1, [], 'ServiceException', null],
    ['503 with Retry-After, single-use grant', refresh, status(503, { 'retry-after': '1' }), 1, [], 'ServiceException', 1],
    ['429', clientCredentials, status(429), 3, [0.25, 0.5], 'TooManyRequestsException', null],
    ['429, single-use grant', refresh, status(429), 1, [], 'TooManyRequestsException', null],
    ['429 with Retry-After, single-use grant', refresh, status(429, { 'retry-after': '2' }), 3, [2, 2], 'TooManyRequestsException', 2],
    ['429 with an HTTP-date Retry-After', clientCredentials, status(429, { 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }), 3, [7, 7], 'TooManyRequestsException', 7],
    ['429 with Retry-After over the cap', clientCredentials, status(429, { 'retry-after': '61' }), 1, [], 'TooManyRequestsException', 61],
    ['503 with Retry-After over the cap', clientCredentials, status(503, { 'retry-after': '3600' }), 1, [], 'ServiceException', 3600],
    ['500', clientCredentials, status(500), 1, [], 'ServiceException', null],
    ['502', clientCredentials, status(502), 1, [], 'ServiceException', null],
    ['400', clientCredentials, status(400), 1, [], 'BadRequestException', null],
  ];

  for (const [what, fields, answer, attempts, waits, className, retryAfter] of TABLE) {
    test(`${what}: ${attempts} attempt(s)`, async () => {
      const scripted = scriptedClient(answer);
      const { error } = await callToken(scripted.client, fields);
      assert.equal(error.constructor.name, className);
      assert.equal(scripted.requests.length, attempts);
      assert.deepEqual(scripted.waits, waits);
      assert.equal(error.retryAfter, retryAfter);
    });
  }

  test('a later attempt that succeeds is the answer', async () => {
    const scripted = scriptedClient((attempt) => (attempt < 2 ? { status: 503 } : ok()));
    const { error, data } = await callToken(scripted.client, clientCredentials);
    assert.equal(error, null);
    assert.equal(data.access_token, TOKEN.access_token);
    assert.equal(scripted.requests.length, 3);
  });

  test('backoff has full jitter: [0, backoffFactor * 2 ** attempt), never over the cap', async () => {
    for (const [jitter, factor, expected] of [[0, 0.5, [0, 0, 0]], [0.999, 0.5, [0.4995, 0.999, 1.998]], [0.999, 100, [60, 60, 60]]]) {
      const scripted = scriptedClient(() => ({ status: 503 }), { jitter, client: { retries: 3, backoffFactor: factor } });
      await callToken(scripted.client, clientCredentials);
      assert.deepEqual(scripted.waits.map((wait) => Math.round(wait * 1e4) / 1e4), expected);
    }
  });

  test('retries: 0 sends once; the logger hears of each retry, without secrets', async () => {
    const none = scriptedClient(() => ({ status: 503 }), { client: { retries: 0 } });
    await callToken(none.client, clientCredentials);
    assert.equal(none.requests.length, 1);
    const messages = [];
    const logged = scriptedClient(() => ({ status: 503 }), { client: { logger: { info: (message) => messages.push(message) } } });
    await callToken(logged.client, clientCredentials);
    assert.deepEqual(messages, [
      'POST https://api.example.com/oauth/token answered 503; retry 1 of 2 in 0.25 s',
      'POST https://api.example.com/oauth/token answered 503; retry 2 of 2 in 0.50 s',
    ]);
  });
});

describe('answers', () => {
  const malformed = async (answer, fields = clientCredentials) => {
    const { client } = scriptedClient(() => answer);
    const { error, data } = await callToken(client, fields);
    assert.ok(error instanceof errors.MalformedResponseError, String(error));
    assert.equal(data, null);
    assert.equal(error.status, answer.status);
    return error;
  };

  test('a 200 that is empty, not JSON, not an object, lacks a required field or has a wrong type', async () => {
    const cases = [
      ['', /an empty answer \(Content-Type: application\/json\)/],
      ['   ', /an empty answer/],
      ['{"access_token": "tok-secret-1",', /an answer that is not JSON/],
      ['[{"access_token":"tok-secret-1","token_type":"Bearer"}]', /expected a JSON object for TokenAnswer, got an array/],
      ['"tok-secret-1"', /expected a JSON object for TokenAnswer, got a string/],
      ['null', /got null/],
      ['{}', /the answer has no 'token_type', which TokenAnswer requires/],
      ['{"access_token":"tok-secret-1"}', /no 'token_type'/],
      ['{"access_token":"tok-secret-1","token_type":"Bearer","expires_in":"900"}', /'expires_in' is a string where the spec says an integer/],
      ['{"access_token":["tok-secret-1"],"token_type":"Bearer"}', /'access_token' is an array where the spec says a string/],
      ['{"token_type":"Bearer"}', /the token answer has no access_token/],
      ['{"access_token":"","token_type":"Bearer"}', /the token answer has no access_token/],
    ];
    for (const [body, message] of cases) {
      const error = await malformed({ status: 200, body });
      assert.match(error.message, message);
      assert.match(error.message, /^createToken: the HTTP 200 answer is malformed: /);
      for (const shown of [error.message, util.inspect(error), JSON.stringify(error), String(error.stack)]) {
        assert.ok(!shown.includes('tok-secret-1'), shown);
      }
      assert.equal(error.rawBody, body); // as received, under an explicit name
      // The body is out of sight, and a token in it is cut out, JSON or not.
      assert.equal(Object.keys(error).includes('body'), false);
      assert.equal(error.body.includes('tok-secret-1'), body.includes('tok-secret-1') && !/"access_token": ?"/.test(body));
    }
  });

  test('a success status the spec does not list still owes the success model', async () => {
    const created = await callToken(scriptedClient(() => ({ status: 201, body: TOKEN })).client, clientCredentials);
    assert.equal(created.error, null);
    assert.ok(created.data instanceof TokenAnswer);
    const error = await malformed({ status: 204 });
    assert.match(error.message, /^createToken: the HTTP 204 answer is malformed: an empty answer/);
    // A default answer (the spec's error type) does not take the place of the success.
    const withDefault = Object.freeze({ ...TOKEN_OPERATION, responses: { 200: TokenAnswer, default: OAuthError } });
    const scripted = scriptedClient(() => ({ status: 201, body: TOKEN }));
    const answer = await new Promise((resolve) => {
      scripted.client.callApi(withDefault, { tokenRequest: clientCredentials }, (failure, data) => resolve({ failure, data }));
    });
    assert.equal(answer.failure, null);
    assert.ok(answer.data instanceof TokenAnswer);
  });

  test('an answer that is not HTTP at all is malformed, not a connection failure', async () => {
    const notHttp = new errors.MalformedResponseError('the answer to POST x is not valid HTTP (HPE_INVALID_CONSTANT): Expected HTTP/', { status: 0 });
    const { client, requests } = scriptedClient(() => notHttp);
    const { error } = await callToken(client, clientCredentials);
    assert.ok(error instanceof errors.MalformedResponseError);
    assert.equal(error.message, 'createToken: the answer to POST x is not valid HTTP (HPE_INVALID_CONSTANT): Expected HTTP/');
    assert.equal(requests.length, 1);
  });

  test('the text/html page of a proxy is not JSON, and the media type is named', async () => {
    const error = await malformed({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>502</html>' });
    assert.match(error.message, /not JSON \(Content-Type: text\/html\)/);
  });

  test('an answer over maxResponseBytes is malformed, whatever its status', async () => {
    const error = await malformed({ status: 200, body: TOKEN, tooLarge: true });
    assert.match(error.message, /larger than maxResponseBytes \(1048576\)/);
  });

  test('an error status: its class, the OAuth fields, the model, retryAfter, one line', async () => {
    const { client } = scriptedClient(() => ({
      status: 401, statusText: 'Unauthorized', headers: { 'retry-after': '5' },
      body: { error: 'invalid_client', error_description: 'Client\nauthentication failed', error_uri: 'https://e.example/1' },
    }));
    const { error, data, response } = await callToken(client, clientCredentials);
    assert.ok(error instanceof errors.UnauthorizedException);
    assert.equal(data, null);
    assert.equal(response.status, 401);
    assert.deepEqual([error.status, error.statusText, error.error, error.error_uri, error.retryAfter],
      [401, 'Unauthorized', 'invalid_client', 'https://e.example/1', 5]);
    assert.equal(error.error_description, 'Client\nauthentication failed');
    assert.ok(error.data instanceof OAuthError);
    assert.equal(error.message, 'createToken failed: HTTP 401 Unauthorized: invalid_client (Client authentication failed)');
  });

  test('secrets the request carried are cut out of every part of the error, however echoed', async () => {
    const echo = (attempt, request) => ({
      status: 400,
      statusText: `Bad ${CODE}`,
      body: {
        error: 'invalid_grant',
        error_description: `got ${SECRET} / ${CODE} / ${REFRESH} / ${encodeURIComponent(SECRET)} / ${request.payload}`,
      },
    });
    const { client } = scriptedClient(echo);
    const { error } = await callToken(client, { ...refresh, code: CODE });
    const shown = [error.message, error.body, error.error_description, error.statusText, util.inspect(error), JSON.stringify(error),
      String(error.stack), JSON.stringify(error.data), JSON.stringify(error.response.body)].join('\n');
    for (const secret of [SECRET, CODE, REFRESH, encodeURIComponent(SECRET), new URLSearchParams({ s: SECRET }).toString().slice(2)]) {
      assert.ok(!shown.includes(secret), `${secret} shows in:\n${shown}`);
    }
    assert.ok(error.error_description.includes('[redacted]'));
    assert.ok(shown.includes('partner'), 'what is not secret stays');

    // A field the spec does not mark secret, but whose name says it is one.
    const named = scriptedClient(() => ({ status: 403, body: 'session s-token-1 and thing thing-77 refused' }));
    const { error: cookie } = await new Promise((resolve) => {
      named.client.callApi({ ...THING_OPERATION, params: [...THING_OPERATION.params, { name: 'sessionToken', baseName: 'session_token', in: 'query', type: 'String' }] },
        { thingId: 'thing-77', sessionToken: 's-token-1' }, (e) => resolve({ error: e }));
    });
    assert.equal(cookie.body, 'session [redacted] and thing thing-77 refused');

    const header = scriptedClient(() => ({ status: 403, body: 'key key-123 refused' }));
    const { error: refused } = await new Promise((resolve) => {
      header.client.callApi(THING_OPERATION, { thingId: 'a', apiKey: 'key-123' }, (e) => resolve({ error: e }));
    });
    assert.equal(refused.body, 'key [redacted] refused');
  });
});

describe('hosts and settings', () => {
  const withEnv = (value, run) => {
    const saved = process.env.RUNTIME_TEST_HOST;
    if (value === undefined) {
      delete process.env.RUNTIME_TEST_HOST;
    } else {
      process.env.RUNTIME_TEST_HOST = value;
    }
    try {
      return run();
    } finally {
      if (saved === undefined) {
        delete process.env.RUNTIME_TEST_HOST;
      } else {
        process.env.RUNTIME_TEST_HOST = saved;
      }
    }
  };

  test('the default host: the first server, or the host variable as a URL or a server name', () => {
    assert.equal(withEnv(undefined, () => new ApiClient().basePath), 'https://api.example.com');
    assert.equal(withEnv('', () => new ApiClient().basePath), 'https://api.example.com');
    assert.equal(withEnv('http://127.0.0.1:8080/base', () => new ApiClient().basePath), 'http://127.0.0.1:8080/base');
    assert.equal(withEnv('test', () => new ApiClient().basePath), 'https://sandbox.example.com/v1');
    assert.throws(() => withEnv('staging', () => new ApiClient()),
      (error) => error instanceof errors.ApiValueError && /RUNTIME_TEST_HOST must be one of the servers of the spec \('production', 'test'\)/.test(error.message));
    assert.equal(withEnv('test', () => new ApiClient('http://127.0.0.1:1').basePath), 'http://127.0.0.1:1');
  });

  test('a server by name or index, without typing its URL', () => {
    assert.equal(new ApiClient({ server: 'test' }).basePath, 'https://sandbox.example.com/v1');
    assert.equal(new ApiClient({ server: 1 }).basePath, 'https://sandbox.example.com/v1');
    assert.equal(new ApiClient({ server: 'test' }).useServer('production').basePath, 'https://api.example.com');
    assert.deepEqual(ApiClient.servers.map((server) => server.name), ['production', 'test']);
    assert.throws(() => new ApiClient({ server: 2 }), /server must be one of/);
    assert.throws(() => new ApiClient({ server: 'test', basePath: 'https://x.example' }), /not both/);
  });

  test('the default instance is made on first use and can be replaced', () => {
    class Fresh extends ApiClient {}
    const first = Fresh.instance;
    assert.ok(first instanceof Fresh);
    assert.equal(Fresh.instance, first);
    const other = new Fresh('http://127.0.0.1:1');
    Fresh.instance = other;
    assert.equal(Fresh.instance, other);
    assert.notEqual(ApiClient.instance, other);
  });

  test('options are checked: unknown names, timeouts, counts, URLs', () => {
    assert.throws(() => new ApiClient({ proxies: 'http://proxy:3128' }), (error) => error instanceof errors.ApiTypeError && /no option 'proxies'/.test(error.message));
    assert.throws(() => new ApiClient({ timeout: '30s' }), errors.ApiValueError);
    assert.throws(() => new ApiClient({ timeout: { connect: 1 } }), errors.ApiValueError);
    assert.throws(() => new ApiClient({ timeout: -1 }), errors.ApiValueError);
    const build = (timeout) => scriptedClient(ok, { client: { timeout } }).client.buildRequest(TOKEN_OPERATION, { tokenRequest: refresh }).options.timeout;
    assert.deepEqual(build(0), { connect: Infinity, read: Infinity });
    assert.deepEqual(build({ connect: 500, read: 0 }), { connect: 500, read: Infinity });
    assert.throws(() => new ApiClient({ retries: -1 }), /retries must be an integer/);
    assert.throws(() => new ApiClient({ retries: 1.5 }), /retries must be an integer/);
    assert.throws(() => new ApiClient('ftp://example.com'), /basePath must be an http or https URL/);
    assert.deepEqual(scriptedClient(ok, { client: { timeout: 1500 } }).client.buildRequest(TOKEN_OPERATION, { tokenRequest: refresh }).options.timeout,
      { connect: 1500, read: 1500 });
  });

  test('https requests carry the client certificate, key and CA read from their files; http ones none', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-tls-'));
    try {
      for (const name of ['client.crt', 'client.key', 'ca.crt']) {
        fs.writeFileSync(path.join(dir, name), `-----${name}-----\n`);
      }
      const client = new ApiClient({
        certFile: path.join(dir, 'client.crt'), keyFile: path.join(dir, 'client.key'), caFile: path.join(dir, 'ca.crt'),
      });
      const { tls } = client.buildRequest(TOKEN_OPERATION, { tokenRequest: refresh }).options;
      assert.deepEqual(Object.keys(tls).sort(), ['ca', 'cert', 'key', 'rejectUnauthorized']);
      assert.equal(tls.cert.toString(), '-----client.crt-----\n');
      assert.equal(tls.rejectUnauthorized, true);
      client.basePath = 'http://127.0.0.1:1';
      assert.equal(client.buildRequest(TOKEN_OPERATION, { tokenRequest: refresh }).options.tls, null);

      const locked = new ApiClient({ certFile: path.join(dir, 'client.crt'), keyFile: path.join(dir, 'client.key'), passphrase: 'pass-0123456789' });
      locked.buildRequest(TOKEN_OPERATION, { tokenRequest: refresh });
      const shown = util.inspect(locked, { depth: 6 }) + JSON.stringify(Object.keys(locked));
      assert.ok(!shown.includes('pass-0123456789') && !shown.includes('client.key-----'), shown);
      assert.equal(locked.passphrase, 'pass-0123456789');

      const missing = new ApiClient({ certFile: path.join(dir, 'nope.crt'), keyFile: path.join(dir, 'client.key') });
      assert.throws(() => missing.callApi(TOKEN_OPERATION, { tokenRequest: refresh }, () => {}),
        (error) => error instanceof errors.ApiValueError && /certFile: cannot read .*nope\.crt \(ENOENT\)/.test(error.message));
      assert.throws(() => new ApiClient({ certFile: path.join(dir, 'client.crt') }).buildRequest(TOKEN_OPERATION, { tokenRequest: refresh }),
        /certFile and keyFile go together/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('token requests (RFC 6749)', () => {
  /** accessToken: a token operation whose form fields are parameters, grant_type optional (a server default). */
  const FORM_TOKEN = Object.freeze({
    operationId: 'accessToken',
    method: 'POST',
    path: '/oauth/token',
    contentType: 'application/x-www-form-urlencoded',
    accept: 'application/json',
    params: [
      { name: 'grantType', baseName: 'grant_type', in: 'form', type: 'String' },
      { name: 'authCode', baseName: 'code', in: 'form', type: 'String' },
      { name: 'refreshToken', baseName: 'refresh_token', in: 'form', type: 'String' },
      { name: 'clientId', baseName: 'client_id', in: 'form', type: 'String' },
    ],
    returnType: TokenAnswer,
    tokenGrants: Object.freeze(['refresh_token', 'authorization_code']),
    singleUse: Object.freeze({ grant_type: Object.freeze(['authorization_code', 'refresh_token']) }),
    responses: { 200: TokenAnswer },
  });
  const call = (client, operation, args) => new Promise((resolve) => {
    client.callApi(operation, args, (error, data) => resolve({ error, data }));
  });

  test('a token request carrying a code or a refresh token is single-use, whatever grant_type says', async () => {
    const cases = [
      [FORM_TOKEN, { refreshToken: REFRESH, clientId: 'partner' }], // grant_type left out
      [FORM_TOKEN, { authCode: CODE }],
      [FORM_TOKEN, { grantType: 'client_credentials', refreshToken: REFRESH }],
      [FORM_TOKEN, { grantType: 'urn:example:custom', authCode: CODE }],
      [TOKEN_OPERATION, { tokenRequest: { ...clientCredentials, refresh_token: REFRESH } }], // a body model's form
    ];
    for (const [operation, args] of cases) {
      for (const status of [503, 429]) {
        const scripted = scriptedClient(() => ({ status, body: { error: 'busy' } }));
        const { error } = await call(scripted.client, operation, args);
        assert.equal(error.status, status);
        assert.equal(scripted.requests.length, 1, JSON.stringify(args));
        assert.deepEqual(scripted.waits, []);
      }
    }
    // Without one, a 503 is retried.
    for (const [operation, args] of [[FORM_TOKEN, { grantType: 'client_credentials', clientId: 'partner' }], [FORM_TOKEN, { refreshToken: '' }]]) {
      const scripted = scriptedClient((attempt) => (attempt === 0 ? { status: 503 } : ok()));
      const { error, data } = await call(scripted.client, operation, args);
      assert.equal(error, null);
      assert.equal(data.access_token, TOKEN.access_token);
      assert.equal(scripted.requests.length, 2);
    }
  });

  test('the single-use grants are the operation\'s (x-single-use), not every grant_type refresh_token', async () => {
    // Not a token operation, as the generator prints one with singleUse or without.
    const plain = { ...FORM_TOKEN, tokenGrants: null, singleUse: null };
    const grants = { ...plain, singleUse: Object.freeze({ grant_type: Object.freeze(['refresh_token']) }) };
    const attempts = async (operation, args) => {
      const scripted = scriptedClient((attempt) => (attempt === 0 ? { status: 503 } : ok()));
      await call(scripted.client, operation, args);
      return scripted.requests.length;
    };
    assert.equal(await attempts(plain, { grantType: 'refresh_token' }), 2);
    assert.equal(await attempts(plain, { grantType: 'refresh_token', refreshToken: REFRESH }), 2);
    assert.equal(await attempts(grants, { grantType: 'refresh_token' }), 1);
    assert.equal(await attempts(grants, { grantType: 'authorization_code' }), 2); // not one it lists
    // With single-use grants, a code or refresh token is single-use whatever grant_type says,
    // as in a token operation (Python: Operation.is_single_use).
    assert.equal(await attempts(grants, { grantType: 'client_credentials', refreshToken: REFRESH }), 1);
    assert.equal(await attempts(grants, { authCode: CODE }), 1);
    assert.equal(await attempts(grants, { grantType: 'client_credentials', refreshToken: '' }), 2);
  });

  test('a grant without what it needs is refused, naming the parameter, before anything is sent', () => {
    const { client, requests } = scriptedClient(ok);
    const cases = [
      [TOKEN_OPERATION, { tokenRequest: credentials('refresh_token') }, "'tokenRequest.refresh_token' when calling createToken: grant_type refresh_token needs it (RFC 6749 section 6)"],
      [TOKEN_OPERATION, { tokenRequest: credentials('refresh_token', { refresh_token: '' }) }, "'tokenRequest.refresh_token'"],
      [TOKEN_OPERATION, { tokenRequest: credentials('authorization_code', { refresh_token: REFRESH }) }, "'tokenRequest.code' when calling createToken: grant_type authorization_code needs it (RFC 6749 section 4.1.3)"],
      [FORM_TOKEN, { grantType: 'refresh_token', clientId: 'partner' }, "'refreshToken' when calling accessToken: grant_type refresh_token"],
      [FORM_TOKEN, { grantType: 'authorization_code' }, "'authCode' when calling accessToken: grant_type authorization_code"],
    ];
    for (const [operation, args, named] of cases) {
      assert.throws(() => client.callApi(operation, args, () => assert.fail('called back')), (error) => {
        assert.ok(error instanceof errors.ApiValueError, `${error.name}: ${error.message}`);
        assert.ok(error.message.startsWith(`Missing the required parameter ${named}`), error.message);
        assert.ok(!error.message.includes(SECRET) && !error.message.includes(REFRESH));
        return true;
      });
    }
    assert.equal(requests.length, 0);
    // Only token operations: the same fields to another operation are sent as they are.
    client.callApi({ ...FORM_TOKEN, tokenGrants: null }, { grantType: 'refresh_token' }, () => {});
    assert.equal(requests.length, 1);
  });

  test('user information in basePath (user:password@) shows in no message, and is cut out of echoes', async () => {
    const net = require('node:net');
    const holder = net.createServer();
    await new Promise((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address();
    await new Promise((resolve) => holder.close(resolve));
    const basePath = `http://user:PW-s3cret%2F1@127.0.0.1:${port}/base/`;
    const { error } = await callToken(new ApiClient({ basePath, retries: 0 }), clientCredentials);
    assert.ok(error instanceof errors.ApiConnectionError, String(error));
    assert.match(error.message, new RegExp(`for POST http://127\\.0\\.0\\.1:${port}/base/oauth/token: `));
    for (const shown of [error.message, util.inspect(error), String(error.stack), JSON.stringify(error)]) {
      assert.ok(!shown.includes('PW-s3cret') && !shown.includes('user:'), shown);
    }
    const echo = scriptedClient(() => ({ status: 400, body: { error: 'invalid_request', error_description: `for ${basePath} (PW-s3cret/1)` } }),
      { client: { basePath } });
    const { error: echoed } = await callToken(echo.client, clientCredentials);
    assert.equal(echo.requests[0].where, `POST http://127.0.0.1:${port}/base/oauth/token`);
    assert.equal(echo.requests[0].headers.Authorization, undefined);
    for (const shown of [echoed.message, echoed.body, echoed.error_description, util.inspect(echoed), util.inspect(echo.client)]) {
      assert.ok(!shown.includes('PW-s3cret'), shown);
    }
  });

  test('an answer that breaks only a facet: accepted with one warning per operation and field; strictResponses refuses it', async () => {
    class Faceted extends TokenAnswer {}
    Faceted.attributes = Object.freeze([...TokenAnswer.attributes, Object.freeze({ name: 'kind', type: 'String', enum: ['user', 'app'] })]);
    const operation = Object.freeze({ ...TOKEN_OPERATION, returnType: Faceted, responses: { ...TOKEN_OPERATION.responses, 200: Faceted } });
    const fields = new TokenRequest({ client_id: 'partner', client_secret: SECRET, grant_type: 'client_credentials' });
    const call = (client) => new Promise((resolve) => {
      client.callApi(operation, { tokenRequest: fields }, (error, data) => resolve({ error, data }));
    });
    const answer = () => ({ status: 200, body: { ...TOKEN, kind: 'service-account' } });
    const warnings = [];
    const lenient = scriptedClient(answer, { client: { logger: { info: () => {}, warn: (message) => warnings.push(message) } } });
    for (let i = 0; i < 2; i += 1) {
      const { error, data } = await call(lenient.client);
      assert.equal(error, null);
      assert.equal(data.kind, 'service-account');
    }
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^createToken: the HTTP 200 answer's field `kind` breaks the spec \(not one of "user", "app"\)/);
    assert.ok(!warnings[0].includes('service-account'));

    const strict = scriptedClient(answer, { client: { strictResponses: true } });
    const { error } = await call(strict.client);
    assert.ok(error instanceof errors.MalformedResponseError && /'kind' not one of/.test(error.message), String(error));
    assert.throws(() => new ApiClient({ strictResponses: 'yes' }), (thrown) => thrown instanceof errors.ApiTypeError && /strictResponses/.test(thrown.message));
  });
});
