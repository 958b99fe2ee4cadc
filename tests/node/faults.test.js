'use strict';
// Every way a call of the CyberSource Node package can fail, against loopback servers in
// this process: error statuses, answers that are not what the spec promises, connection
// faults and timeouts, bad input, and secrets. Each case checks the error class and
// fields, and how many requests reached the server (retries included).

const assert = require('node:assert/strict');
const net = require('node:net');
const util = require('node:util');
const { describe, test } = require('node:test');

const { HOST, PACKAGE_DIR, freePort, recorderForSuite } = require('./support');

const CyberSource = require(PACKAGE_DIR);

const JSON_UTF8 = { 'Content-Type': 'application/json;charset=utf-8' };
const SECRET = 'Zm9vYmFyLXNlY3JldC0xMjM0NTY3ODkw';
const REFRESH = 'eyJraWQiOiJyZWZyZXNoIn0.stored-refresh';
const CODE = 'AuthCode-4f1c2b9e7d';
const ACCESS = 'eyJhbGciOiJSUzI1NiJ9.access-token-value.c2ln';

const fields = (grant) => (grant === 'authorization_code'
  ? { client_id: 'partner', client_secret: SECRET, grant_type: grant, code: CODE }
  : { client_id: 'partner', client_secret: SECRET, grant_type: grant, refresh_token: REFRESH });

/** A client whose retries wait nothing, recording the waits. */
function client(basePath, options = {}) {
  const waits = [];
  const apiClient = new CyberSource.ApiClient({
    basePath, sleep: async (seconds) => { waits.push(seconds); }, ...options,
  });
  return { api: new CyberSource.OAuthApi(apiClient), waits };
}

/** The call's error (the test fails if the call succeeds). */
function failure(promise) {
  return promise.then(() => assert.fail('the call succeeded'), (error) => error);
}

describe('faults of the CyberSource Node package', () => {
  const recorder = recorderForSuite();

  const oauth = (status) => JSON.stringify({ error: `error_${status}`, error_description: `what went wrong (${status})` });

  // [status, class, model of error.data, requests with the refresh_token grant, extra headers]
  const STATUSES = [
    [400, 'BadRequestException', 'BadRequestError', 1],
    [401, 'UnauthorizedException', 'UnauthorizedClientError', 1],
    [403, 'ForbiddenException', null, 1],
    [404, 'NotFoundException', 'ResourceNotFoundError', 1],
    [409, 'ConflictException', null, 1],
    [418, 'ApiError', null, 1],
    [422, 'UnprocessableEntityException', null, 1],
    [429, 'TooManyRequestsException', null, 1],
    [500, 'ServiceException', null, 1],
    [502, 'ServiceException', null, 1],
    [503, 'ServiceException', null, 1],
  ];

  for (const [status, className, model, requests] of STATUSES) {
    test(`HTTP ${status}: ${className}, OAuth fields parsed, ${requests} request(s)`, async () => {
      recorder.answer = () => ({ status, headers: JSON_UTF8, body: oauth(status) });
      recorder.server.requests.length = 0;
      const { api, waits } = client(recorder.server.url);
      const error = await failure(api.createAccessToken(fields('refresh_token')));
      assert.equal(error.constructor, CyberSource[className]);
      assert.ok(error instanceof CyberSource.ApiError);
      assert.equal(error.status, status);
      assert.equal(error.error, `error_${status}`);
      assert.equal(error.error_description, `what went wrong (${status})`);
      assert.equal(error.body, oauth(status));
      assert.equal(error.retryAfter, null);
      assert.equal(error.headers['content-type'], 'application/json;charset=utf-8');
      if (model) {
        assert.ok(error.data instanceof CyberSource[model]);
      }
      assert.ok(!error.message.includes('\n'));
      assert.equal(recorder.server.requests.length, requests);
      assert.equal(waits.length, requests - 1);
    });
  }

  test('429 with Retry-After: a single-use grant goes again after the wait the server asked', async () => {
    recorder.answer = () => ({ status: 429, headers: { ...JSON_UTF8, 'Retry-After': '2' }, body: oauth(429) });
    recorder.server.requests.length = 0;
    const { api, waits } = client(recorder.server.url);
    const error = await failure(api.createAccessToken(fields('authorization_code')));
    assert.ok(error instanceof CyberSource.TooManyRequestsException);
    assert.equal(error.retryAfter, 2);
    assert.equal(recorder.server.requests.length, 3);
    assert.deepEqual(waits, [2, 2]);
  });

  test('an error body nesting 100,000 arrays: the status\'s class, the raw body kept', async () => {
    const deep = `{"error": "invalid_request", "detail": ${'['.repeat(100000)}${']'.repeat(100000)}}`;
    recorder.answer = () => ({ status: 400, headers: JSON_UTF8, body: deep });
    recorder.server.requests.length = 0;
    const { api } = client(recorder.server.url);
    const error = await failure(api.createAccessToken(fields('refresh_token')));
    assert.ok(error instanceof CyberSource.BadRequestException, String(error));
    assert.equal(error.body, deep);
    assert.equal(error.error, 'invalid_request'); // Node's JSON.parse takes any depth
    assert.equal(recorder.server.requests.length, 1);
  });

  test('429 with Retry-After over the cap: raised at once, retryAfter set', async () => {
    recorder.answer = () => ({ status: 429, headers: { ...JSON_UTF8, 'Retry-After': '600' }, body: oauth(429) });
    recorder.server.requests.length = 0;
    const { api, waits } = client(recorder.server.url);
    const error = await failure(api.createAccessToken(fields('refresh_token')));
    assert.equal(error.retryAfter, 600);
    assert.equal(recorder.server.requests.length, 1);
    assert.deepEqual(waits, []);
  });

  test('a proxy\'s HTML error page: the status class, body kept, no OAuth fields', async () => {
    recorder.answer = () => ({ status: 502, headers: { 'Content-Type': 'text/html' }, body: '<html><h1>502 Bad Gateway</h1></html>' });
    const error = await failure(client(recorder.server.url).api.createAccessToken(fields('refresh_token')));
    assert.ok(error instanceof CyberSource.ServiceException);
    assert.equal(error.body, '<html><h1>502 Bad Gateway</h1></html>');
    assert.equal(error.error, undefined);
  });

  const MALFORMED = [
    ['empty', '', /an empty answer/],
    ['not JSON', `{"access_token": "${ACCESS}", `, /not JSON/],
    ['HTML', '<html>maintenance</html>', /not JSON/],
    ['an array', `[{"access_token":"${ACCESS}"}]`, /expected a JSON object for AccessTokenResponse, got an array/],
    ['a string', `"${ACCESS}"`, /got a string/],
    ['an empty object', '{}', /no access_token/],
    ['no access_token', '{"token_type":"Bearer","expires_in":900}', /no access_token/],
    ['expires_in a string', `{"access_token":"${ACCESS}","expires_in":"900"}`, /'expires_in' is a string where the spec says an integer/],
    ['access_token a number', '{"access_token":12345,"token_type":"Bearer"}', /'access_token' is an integer where the spec says a string/],
    ['refresh_token an object', `{"access_token":"${ACCESS}","refresh_token":{"value":"${REFRESH}"}}`, /'refresh_token' is an object where the spec says a string/],
  ];

  for (const [what, body, message] of MALFORMED) {
    test(`a 200 answer that is ${what}: MalformedResponseError naming the problem, not the value`, async () => {
      recorder.answer = () => ({ status: 200, headers: JSON_UTF8, body });
      recorder.server.requests.length = 0;
      const error = await failure(client(recorder.server.url).api.createAccessToken(fields('refresh_token')));
      assert.ok(error instanceof CyberSource.MalformedResponseError, `${error.name}: ${error.message}`);
      assert.equal(error.status, 200);
      assert.match(error.message, message);
      for (const shown of [error.message, util.inspect(error), JSON.stringify(error), String(error.stack)]) {
        assert.ok(!shown.includes(ACCESS) && !shown.includes('12345') && !shown.includes(REFRESH), shown);
      }
      assert.equal(recorder.server.requests.length, 1);
    });
  }

  test('a refused connection: ApiConnectionError, not connected, retried with backoff', async () => {
    const port = await freePort();
    const { api, waits } = client(`http://${HOST}:${port}`);
    const error = await failure(api.createAccessToken(fields('refresh_token')));
    assert.ok(error instanceof CyberSource.ApiConnectionError);
    assert.deepEqual([error.status, error.connected, error.code], [0, false, 'ECONNREFUSED']);
    assert.match(error.message, new RegExp(`^createAccessToken: could not connect for POST http://127\\.0\\.0\\.1:${port}/oauth2/v3/token: `));
    assert.equal(waits.length, 2);
    assert.ok(waits[0] >= 0 && waits[0] < 0.5 && waits[1] >= 0 && waits[1] < 1);
  });

  test('no answer within the read timeout: ApiTimeoutError, connected, not retried', async () => {
    recorder.answer = () => null;
    recorder.server.requests.length = 0;
    const { api, waits } = client(recorder.server.url, { timeout: { connect: 5000, read: 200 } });
    const error = await failure(api.createAccessToken(fields('refresh_token')));
    assert.ok(error instanceof CyberSource.ApiTimeoutError && error instanceof CyberSource.ApiConnectionError);
    assert.deepEqual([error.status, error.connected, error.code], [0, true, 'ETIMEDOUT']);
    assert.match(error.message, /timed out waiting for the answer/);
    assert.equal(recorder.server.requests.length, 1);
    assert.deepEqual(waits, []);
  });

  test('a reset mid-answer: ApiConnectionError, connected, not retried', async () => {
    let accepted = 0;
    const raw = net.createServer((socket) => {
      accepted += 1;
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: appli');
        socket.resetAndDestroy();
      });
    });
    await new Promise((resolve) => raw.listen(0, HOST, resolve));
    try {
      const { api, waits } = client(`http://${HOST}:${raw.address().port}`);
      const error = await failure(api.createAccessToken(fields('refresh_token')));
      assert.ok(error instanceof CyberSource.ApiConnectionError);
      assert.equal(error.connected, true);
      assert.equal(accepted, 1);
      assert.deepEqual(waits, []);
    } finally {
      raw.close();
    }
  });

  test('an answer that is not HTTP: MalformedResponseError, not retried', async () => {
    const raw = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n'));
    });
    await new Promise((resolve) => raw.listen(0, HOST, resolve));
    try {
      const { api, waits } = client(`http://${HOST}:${raw.address().port}`);
      const error = await failure(api.createAccessToken(fields('refresh_token')));
      assert.ok(error instanceof CyberSource.MalformedResponseError, `${error.name}: ${error.message}`);
      assert.match(error.message, /^createAccessToken: the answer to POST .* is not valid HTTP \(HPE_/);
      assert.deepEqual(waits, []);
    } finally {
      raw.close();
    }
  });

  test('bad input is refused before anything is sent, naming the parameter', async () => {
    recorder.server.requests.length = 0;
    const { api } = client(recorder.server.url);
    const cases = [
      [undefined, CyberSource.ApiValueError, /Missing the required parameter 'createAccessTokenRequest'/],
      [{ ...fields('refresh_token'), refreshTokn: 'x' }, CyberSource.ApiTypeError, /Unknown field 'refreshTokn'.*did you mean 'refresh_token'/],
      [{ ...fields('refresh_token'), grant_type: 'password' }, CyberSource.ApiValueError, /'grant_type' in 'createAccessTokenRequest' when calling createAccessToken: "password" is not one of/],
      [{ ...fields('refresh_token'), client_secret: 42 }, CyberSource.ApiTypeError, /Expected a string for 'client_secret'/],
      [{ client_id: 'partner', grant_type: 'refresh_token' }, CyberSource.ApiValueError, /Missing the required field 'client_secret'/],
      [{ ...fields('refresh_token'), client_secret: 'ab\uD800' }, CyberSource.ApiValueError, /lone surrogate/],
      ['client_id=partner', CyberSource.ApiTypeError, /Expected a CreateAccessTokenRequest or a plain object/],
    ];
    for (const [argument, ErrorClass, message] of cases) {
      assert.throws(() => api.createAccessToken(argument), (error) => {
        assert.ok(error instanceof ErrorClass, `${error.name}: ${error.message}`);
        assert.match(error.message, message);
        assert.ok(!error.message.includes(SECRET) && !error.message.includes(REFRESH));
        return true;
      });
    }
    const misspelt = new CyberSource.CreateAccessTokenRequest(fields('refresh_token'));
    misspelt.refreshTokn = 'x';
    assert.throws(() => api.createAccessToken(misspelt, () => {}), /Unknown field 'refreshTokn'/);
    assert.throws(() => api.createAccessToken(fields('refresh_token'), { vCClientCorrelationId: 'short' }), /vCClientCorrelationId/);
    assert.throws(() => new CyberSource.CreateAccessTokenRequest({ refreshTokn: 'x' }), CyberSource.ApiTypeError);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(recorder.server.requests.length, 0);
  });

  test('secrets: masked in the request model, cut out of errors that echo them (as sent and form-encoded), absent from retry logs', async () => {
    const model = new CyberSource.CreateAccessTokenRequest({ ...fields('authorization_code'), refresh_token: REFRESH });
    for (const shown of [String(model), JSON.stringify(model), util.inspect(model), util.format('%O', [model])]) {
      for (const secret of [SECRET, CODE, REFRESH]) {
        assert.ok(!shown.includes(secret), shown);
      }
      assert.ok(shown.includes('partner'));
    }

    // A secret with characters form encoding changes; the server echoes the body as it came.
    const special = 'sécret ü€ &=+/?#%~*';
    const formEncoded = new URLSearchParams({ s: special }).toString().slice(2);
    recorder.answer = (request) => ({
      status: 503,
      headers: { ...JSON_UTF8, 'X-Echo': `secret ${formEncoded}, refresh ${REFRESH}` }, // a header is Latin-1
      body: JSON.stringify({ error: 'invalid_client', error_description: `bad secret ${special}, code ${CODE}: ${request.body}` }),
    });
    const messages = [];
    const { api } = client(recorder.server.url, { logger: { info: (message) => messages.push(message) } });
    const error = await failure(api.createAccessToken({ ...fields('authorization_code'), client_secret: special, refresh_token: REFRESH }));
    const shown = [error.message, error.body, error.error_description, util.inspect(error, { depth: 4 }), String(error.stack),
      JSON.stringify(error), JSON.stringify(error.data), error.response.text, JSON.stringify(error.response.body),
      JSON.stringify(error.headers), JSON.stringify(error.response.headers)].join('\n');
    for (const secret of [special, encodeURIComponent(special), formEncoded, CODE, REFRESH]) {
      assert.ok(!shown.includes(secret), `${secret} in\n${shown}`);
    }
    assert.match(error.error_description, /bad secret \[redacted\], code \[redacted\]: .*\[redacted\]/);
    assert.equal(error.headers['x-echo'], 'secret [redacted], refresh [redacted]');
    assert.ok(error.headers['content-type'].startsWith('application/json'));
    assert.ok(error.rawBody.includes(special), 'the answer as it came, under its explicit name');

    const refused = client(`http://${HOST}:${await freePort()}`, { logger: { info: (message) => messages.push(message) } });
    await failure(refused.api.createAccessToken(fields('refresh_token')));
    assert.equal(messages.length, 2);
    assert.ok(messages.every((message) => !message.includes(SECRET) && !message.includes(REFRESH)), messages.join('\n'));
  });
});
