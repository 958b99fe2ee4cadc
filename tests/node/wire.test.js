'use strict';
// What the CyberSource Node package puts on the wire and how it reports failures, against a
// recording HTTP server in this process.

const assert = require('node:assert/strict');
const util = require('node:util');
const { beforeEach, describe, test } = require('node:test');

const { PACKAGE_DIR, freePort, recorderForSuite } = require('./support');

const CyberSource = require(PACKAGE_DIR);

const JSON_UTF8 = { 'Content-Type': 'application/json;charset=utf-8' };
const TOKEN = {
  access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3aXJlIn0.c2ln',
  token_type: 'Bearer',
  refresh_token: 'eyJhbGciOiJSUzI1NiJ9.eyJ0eXAiOiJyZWZyZXNoIn0.c2ln',
  expires_in: 900,
  scope: 'merchant_configuration',
  refresh_token_expires_in: 31536000,
  client_status: 'active',
};
const CORRELATION_ID = '3a1c1b5e-7d2f-4c3b-9a4e-2f6d8e0b1c7a';
const SECRET = 'sécret ü€ &=+/?#%~*';
const CODE = 'AuthCode-9f8e7d6c';
const REFRESH = 'refresh-Tøken+/=';

/** A request with the required fields set. */
function tokenRequest(extra) {
  const request = new CyberSource.CreateAccessTokenRequest();
  request.client_id = 'partner-42';
  request.client_secret = SECRET;
  request.grant_type = 'authorization_code';
  return Object.assign(request, extra);
}

/** Calls createAccessToken with a callback; resolves {error, data, response, calls}. */
function call(api, request, opts) {
  return new Promise((resolve) => {
    let calls = 0;
    api.createAccessToken(request, opts, (error, data, response) => {
      calls += 1;
      // A second call of the callback would show up as a changed count after a tick.
      setTimeout(() => resolve({ error, data, response, calls }), 20);
    });
  });
}

describe('CyberSource Node package on the wire', () => {
  const recorder = recorderForSuite();
  let api;

  beforeEach(() => {
    recorder.server.requests.length = 0;
    recorder.answer = () => ({ status: 200, headers: JSON_UTF8, body: JSON.stringify(TOKEN) });
    api = new CyberSource.OAuthApi(new CyberSource.ApiClient(recorder.server.url));
  });

  test('the default client: no-argument OAuthApi, documented host, basePath can change', async () => {
    const instance = CyberSource.ApiClient.instance;
    assert.equal(new CyberSource.OAuthApi().apiClient, instance);
    assert.equal(instance.basePath, 'https://api-ma.Cybersource.com');
    const saved = instance.basePath;
    instance.basePath = recorder.server.url;
    try {
      const { error, data } = await call(new CyberSource.OAuthApi(), tokenRequest({ code: CODE }), {});
      assert.equal(error, null);
      assert.equal(data.access_token, TOKEN.access_token);
      assert.equal(recorder.server.requests.length, 1);
    } finally {
      instance.basePath = saved;
    }
  });

  test('sends exactly the documented headers, no Authorization, the correlation id', async () => {
    const { error } = await call(api, tokenRequest({ code: CODE }), { vCClientCorrelationId: CORRELATION_ID });
    assert.equal(error, null);
    assert.equal(recorder.server.requests.length, 1);
    const [request] = recorder.server.requests;
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/oauth2/v3/token');
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request.headers.accept, 'application/json;charset=utf-8');
    assert.equal(request.headers['v-c-client-correlation-id'], CORRELATION_ID);
    assert.equal(request.headers.authorization, undefined);
    assert.equal(request.headers['content-length'], String(request.body.length));
    // Each header once: no duplicates from defaultHeaders.
    const names = request.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
    assert.deepEqual(names.filter((name) => name === 'content-type' || name === 'accept'), ['accept', 'content-type']);
  });

  test('the form body: set fields in schema order, UTF-8 percent-encoded, byte for byte', async () => {
    const { error } = await call(api, tokenRequest({ code: CODE }), {});
    assert.equal(error, null);
    // What the Python package sends (urlencode): '~' as it is, '*' as %2A.
    const expected = 'client_id=partner-42'
      + '&client_secret=s%C3%A9cret+%C3%BC%E2%82%AC+%26%3D%2B%2F%3F%23%25~%2A'
      + '&grant_type=authorization_code'
      + '&code=AuthCode-9f8e7d6c';
    assert.equal(recorder.server.requests[0].body.toString('latin1'), expected);
    const decoded = new URLSearchParams(recorder.server.requests[0].body.toString('utf8'));
    assert.equal(decoded.get('client_secret'), SECRET);
  });

  test('fields that are not set are absent; no opts means no correlation header', async () => {
    const request = new CyberSource.CreateAccessTokenRequest();
    request.client_id = 'partner-42';
    request.client_secret = 's3cret';
    request.grant_type = 'refresh_token';
    request.refresh_token = REFRESH;
    const { error } = await new Promise((resolve) => {
      api.createAccessToken(request, (e, data, response) => resolve({ error: e, data, response }));
    });
    assert.equal(error, null);
    const [sent] = recorder.server.requests;
    assert.equal(
      sent.body.toString('utf8'),
      'client_id=partner-42&client_secret=s3cret&grant_type=refresh_token&refresh_token=refresh-T%C3%B8ken%2B%2F%3D',
    );
    assert.equal(sent.headers['v-c-client-correlation-id'], undefined);
    assert.ok(!sent.body.toString().includes('code='));
  });

  test('a plain object works as the request', async () => {
    const { error } = await call(api, { client_id: 'p', client_secret: 's', grant_type: 'refresh_token', refresh_token: 'r' }, {});
    assert.equal(error, null);
    assert.equal(recorder.server.requests[0].body.toString(), 'client_id=p&client_secret=s&grant_type=refresh_token&refresh_token=r');
  });

  test('callback(error, data, response): data is an AccessTokenResponse, called once', async () => {
    recorder.answer = () => ({
      status: 200,
      headers: { ...JSON_UTF8, 'v-c-client-correlation-id': CORRELATION_ID },
      body: JSON.stringify(TOKEN),
    });
    const { error, data, response, calls } = await call(api, tokenRequest({ code: CODE }), { vCClientCorrelationId: CORRELATION_ID });
    assert.equal(error, null);
    assert.equal(calls, 1);
    assert.ok(data instanceof CyberSource.AccessTokenResponse);
    assert.deepEqual({ ...data }, TOKEN);
    assert.equal(typeof data.expires_in, 'number');
    assert.equal(String(data), JSON.stringify(TOKEN));
    assert.equal(response.status, 200);
    assert.equal(response.headers['v-c-client-correlation-id'], CORRELATION_ID);
    assert.equal(response.text, JSON.stringify(TOKEN));
  });

  test('answer fields beyond the schema are kept, but never as the prototype', async () => {
    recorder.answer = () => ({ status: 200, headers: JSON_UTF8, body: '{"access_token":"t","extra":1,"__proto__":{"polluted":true}}' });
    const { error, data } = await call(api, tokenRequest({ code: CODE }), {});
    assert.equal(error, null);
    assert.ok(data instanceof CyberSource.AccessTokenResponse);
    assert.equal(data.extra, 1);
    assert.equal(data.polluted, undefined);
  });

  for (const [status, model, oauth] of [
    [400, 'BadRequestError', { error: 'invalid_request', error_description: 'The request is missing a required parameter.' }],
    [401, 'UnauthorizedClientError', { error: 'unauthorized_client', error_description: 'The client is not authorized to request an access token.' }],
  ]) {
    test(`HTTP ${status} with an OAuth error body reaches the callback as an ApiError`, async () => {
      const body = JSON.stringify(oauth);
      recorder.answer = () => ({ status, headers: JSON_UTF8, body });
      const { error, data, response, calls } = await call(api, tokenRequest({ code: CODE }), {});
      assert.equal(calls, 1);
      assert.ok(error instanceof Error);
      assert.ok(error instanceof CyberSource.ApiError);
      assert.equal(error.status, status);
      assert.equal(error.body, body);
      assert.equal(error.error, oauth.error);
      assert.equal(error.error_description, oauth.error_description);
      assert.ok(error.data instanceof CyberSource[model]);
      assert.ok(error.message.includes(String(status)));
      assert.ok(error.message.includes(oauth.error));
      assert.equal(data, null);
      assert.equal(response.status, status);
    });
  }

  test('a non-JSON error body still gives status and body', async () => {
    recorder.answer = () => ({ status: 502, headers: { 'Content-Type': 'text/html' }, body: '<h1>Bad gateway</h1>' });
    const { error } = await call(api, tokenRequest({ code: CODE }), {});
    assert.equal(error.status, 502);
    assert.equal(error.body, '<h1>Bad gateway</h1>');
    assert.equal(error.error, undefined);
  });

  test('a 2xx answer that is not JSON is an error whose message holds no body', async () => {
    recorder.answer = () => ({ status: 200, headers: JSON_UTF8, body: `{"access_token":"${TOKEN.access_token}"` });
    const { error } = await call(api, tokenRequest({ code: CODE }), {});
    assert.ok(error instanceof CyberSource.ApiError);
    assert.equal(error.status, 200);
    assert.ok(!error.message.includes(TOKEN.access_token));
    assert.ok(!util.inspect(error).includes(TOKEN.access_token));
  });

  test('a refused connection is an error with a code, not a crash', async () => {
    const port = await freePort();
    const refused = new CyberSource.OAuthApi(new CyberSource.ApiClient(`http://127.0.0.1:${port}`));
    const { error, data, calls } = await call(refused, tokenRequest({ code: CODE }), {});
    assert.equal(calls, 1);
    assert.ok(error instanceof Error);
    assert.equal(error.code, 'ECONNREFUSED');
    assert.equal(data, null);
    assert.ok(!error.message.includes(SECRET));
  });

  test('no answer within timeout is an ETIMEDOUT error', async () => {
    recorder.answer = () => null;
    const client = new CyberSource.ApiClient(recorder.server.url);
    client.timeout = 200;
    const { error } = await call(new CyberSource.OAuthApi(client), tokenRequest({ code: CODE }), {});
    assert.equal(error.code, 'ETIMEDOUT');
  });

  test('a missing createAccessTokenRequest throws at once, naming it, and sends nothing', async () => {
    let called = false;
    for (const missing of [undefined, null]) {
      assert.throws(
        () => api.createAccessToken(missing, {}, () => { called = true; }),
        (error) => error instanceof Error && /'createAccessTokenRequest'/.test(error.message),
      );
      assert.throws(() => api.createAccessToken(missing), /'createAccessTokenRequest'/);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(called, false);
    assert.equal(recorder.server.requests.length, 0);
  });

  test('fields and the correlation id are checked before sending; values stay out of messages', async () => {
    const noSecret = tokenRequest();
    delete noSecret.client_secret;
    assert.throws(() => api.createAccessToken(noSecret, {}, () => {}), /Missing the required field 'client_secret'/);

    assert.throws(
      () => api.createAccessToken(tokenRequest({ grant_type: 'password' }), {}, () => {}),
      (error) => error instanceof RangeError && /'grant_type'/.test(error.message),
    );
    assert.throws(
      () => api.createAccessToken(tokenRequest({ client_secret: 12345 }), {}, () => {}),
      (error) => error instanceof TypeError && /'client_secret'/.test(error.message) && !error.message.includes('12345'),
    );
    for (const bad of ['too-short', `${CORRELATION_ID}x`, CORRELATION_ID.replace(/-/g, '/')]) {
      assert.throws(
        () => api.createAccessToken(tokenRequest({ code: CODE }), { vCClientCorrelationId: bad }, () => {}),
        (error) => error instanceof RangeError && /vCClientCorrelationId/.test(error.message) && !error.message.includes(bad),
      );
    }
    assert.throws(() => api.createAccessToken(tokenRequest({ code: CODE }), {}, 'not a function'), TypeError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(recorder.server.requests.length, 0);
  });

  test('an opts key the operation does not take is refused, naming it and the ones it takes', async () => {
    for (const key of ['vcClientCorrelationId', 'v-c-client-correlation-id', 'v_c_client_correlation_id', 'timeout']) {
      const opts = { [key]: CORRELATION_ID };
      for (const send of [
        () => api.createAccessToken(tokenRequest({ code: CODE }), opts, () => assert.fail('called back')),
        () => api.createAccessToken(tokenRequest({ code: CODE }), opts),
        () => api.createAccessTokenWithHttpInfo(tokenRequest({ code: CODE }), opts),
      ]) {
        assert.throws(send, (error) => error instanceof CyberSource.ApiTypeError
          && error.message === `createAccessToken has no option '${key}'; its opts are vCClientCorrelationId`);
      }
    }
    // The documented key, an empty object, null and undefined still work.
    for (const opts of [{ vCClientCorrelationId: CORRELATION_ID }, {}, null, undefined]) {
      await api.createAccessToken(tokenRequest({ code: CODE }), opts);
    }
    assert.equal(recorder.server.requests.length, 4);
    assert.equal(recorder.server.requests[0].headers['v-c-client-correlation-id'], CORRELATION_ID);
  });

  test('a grant without its code or refresh token is refused before sending (RFC 6749)', async () => {
    assert.throws(() => api.createAccessToken(tokenRequest(), {}, () => {}), (error) => error instanceof CyberSource.ApiValueError
      && error.message.startsWith("Missing the required parameter 'createAccessTokenRequest.code' when calling createAccessToken"));
    assert.throws(() => api.createAccessToken(tokenRequest({ grant_type: 'refresh_token', code: CODE })), (error) => error instanceof CyberSource.ApiValueError
      && error.message.startsWith("Missing the required parameter 'createAccessTokenRequest.refresh_token' when calling createAccessToken"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(recorder.server.requests.length, 0);
  });

  test('without a callback: a Promise of the data, rejected with the ApiError', async () => {
    const data = await api.createAccessToken(tokenRequest({ code: CODE }), { vCClientCorrelationId: CORRELATION_ID });
    assert.ok(data instanceof CyberSource.AccessTokenResponse);
    assert.equal(data.access_token, TOKEN.access_token);

    const withInfo = await api.createAccessTokenWithHttpInfo(tokenRequest({ code: CODE }));
    assert.equal(withInfo.response.status, 200);
    assert.equal(withInfo.data.refresh_token, TOKEN.refresh_token);

    recorder.answer = () => ({ status: 401, headers: JSON_UTF8, body: '{"error":"unauthorized_client","error_description":"No."}' });
    await assert.rejects(
      api.createAccessToken(tokenRequest({ code: CODE })),
      (error) => error instanceof CyberSource.ApiError && error.status === 401 && error.error === 'unauthorized_client',
    );
    assert.equal(recorder.server.requests.length, 3);
  });
});
