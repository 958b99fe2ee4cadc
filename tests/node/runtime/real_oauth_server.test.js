'use strict';
// The runtime's TokenManager (templates/javascript/runtime, as source) against oidc-provider,
// a real certified OAuth 2.0 server (tests/node/oidc_server.mjs), over the real transport.
// Its token operation is secured as the rest of an API is (an API key, a bearer token), and
// the client holds those and a default Authorization header: the manager's requests still
// authenticate the client one way, which oidc-provider requires (RFC 6749 section 2.3.1); a
// direct call sends what the client holds and is refused with 400 invalid_request.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');

const { ApiClient, TokenManager, TokenRequest, errors } = require('./fixture');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SERVER = path.join(ROOT, 'tests', 'node', 'oidc_server.mjs');
const MISSING = fs.existsSync(path.join(ROOT, 'node_modules', 'oidc-provider')) ? false : 'the oidc-provider npm package is missing (make .make/npm)';
const CLIENT_ID = 'node-runtime-client';
const CLIENT_SECRET = 'oidc-provider-secret-7Qx';

class Secured extends TokenManager {}
Secured.operation = Object.freeze({ ...TokenManager.operation, authNames: ['apiKeyHeader', 'oauth'] });

describe('TokenManager against oidc-provider', { skip: MISSING }, () => {
  let server;
  let url;

  before(async () => {
    server = spawn(process.execPath, [SERVER, '/oauth/token', CLIENT_ID, CLIENT_SECRET], { stdio: ['ignore', 'pipe', 'ignore'] });
    const line = await new Promise((resolve, reject) => {
      server.stdout.once('data', (chunk) => resolve(chunk.toString()));
      server.once('exit', (code) => reject(new Error(`oidc_server.mjs exited with ${code}`)));
    });
    url = `http://127.0.0.1:${JSON.parse(line).port}`;
  });

  after(() => {
    server.kill();
  });

  const client = () => new ApiClient({
    basePath: url, retries: 0, apiKey: { apiKeyHeader: 'api-key-for-the-rest' }, accessToken: 'bearer-for-the-rest',
    defaultHeaders: { Authorization: 'API-Key default-for-every-request' },
  });

  test('its token requests authenticate the client once: the server gives a token', async () => {
    const manager = new Secured({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, apiClient: client() });
    const token = await manager.getToken();
    assert.ok(token.length >= 20);
    assert.equal(await manager.getToken(), token);
    assert.equal(manager.token.token_type, 'Bearer');
  });

  test('a direct call sends what the client holds, and the strict server refuses it', async () => {
    const request = new TokenRequest({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'client_credentials' });
    await assert.rejects(client().callApi(Secured.operation, { tokenRequest: request }), (error) => error instanceof errors.BadRequestException
      && error.error === 'invalid_request' && /only be provided using one mechanism/.test(error.error_description));
  });
});
