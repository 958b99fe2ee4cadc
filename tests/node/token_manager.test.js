'use strict';
// The CyberSource Node package's TokenManager against loopback servers: the README's
// "Keeping a token" example run as it is (host, credentials and client certificate from the
// environment, over mutual TLS), one request for many concurrent callers, and a refresh
// token rotated by the server and used next.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');

const {
  PACKAGE_DIR, javascriptBlocks, makeCertificates, startMutualTlsServer, startRecorder,
} = require('./support');

const CyberSource = require(PACKAGE_DIR);

const JSON_UTF8 = { 'Content-Type': 'application/json;charset=utf-8' };

/** The README block of the "Keeping a token" section. */
function keepingATokenExample() {
  const readme = fs.readFileSync(path.join(PACKAGE_DIR, 'README.md'), 'utf8');
  const section = readme.split('\n## Keeping a token\n')[1].split('\n## ')[0];
  const [example] = javascriptBlocks.fromText(section);
  assert.ok(example, 'the section has a javascript example');
  return example;
}

describe('TokenManager of the package', () => {
  let certs;
  let server;
  let answers = 0;

  before(async () => {
    certs = makeCertificates();
    server = await startMutualTlsServer(certs, (request) => {
      answers += 1;
      const grant = new URLSearchParams(request.body.toString()).get('grant_type');
      return {
        status: 200,
        headers: JSON_UTF8,
        body: JSON.stringify({
          access_token: `eyJ-access-${answers}-${grant}`, token_type: 'Bearer', expires_in: 900, refresh_token: `refresh-${answers}`,
        }),
      };
    });
  });

  after(async () => {
    await server.close();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  test('the README example runs as it is: a refresh, then the cached token, over mutual TLS', async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'cybersource-node-readme-'));
    try {
      fs.mkdirSync(path.join(project, 'node_modules'));
      fs.symlinkSync(PACKAGE_DIR, path.join(project, 'node_modules', 'CyberSource'), 'dir');
      fs.writeFileSync(path.join(project, 'example.js'), keepingATokenExample());
      const env = {
        ...process.env,
        CYBERSOURCE_HOST: server.url,
        CYBERSOURCE_CERT_FILE: certs.clientCert,
        CYBERSOURCE_KEY_FILE: certs.clientKey,
        CYBERSOURCE_CLIENT_ID: 'tokenworks-partner-7',
        CYBERSOURCE_CLIENT_SECRET: 'Zm9vYmFyLXNlY3JldC0xMjM0NTY3ODkw',
        CYBERSOURCE_REFRESH_TOKEN: 'stored-refresh-token',
        NODE_EXTRA_CA_CERTS: certs.ca, // the test CA signed the server's certificate
      };
      delete env.CYBERSOURCE_CODE;
      const run = (extra) => new Promise((resolve) => {
        execFile(process.execPath, ['example.js'], { cwd: project, env: { ...env, ...extra }, timeout: 30000 }, (error, stdout, stderr) => {
          resolve({ code: error ? error.code : 0, stdout, stderr });
        });
      });

      const before = server.requests.length;
      const first = await run({});
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stderr, '');
      assert.match(first.stdout, /^new token, valid for 900 s\nAuthorization: Bearer eyJ-ac\.\.\. \(cached\)\n$/);
      const sent = server.requests.slice(before);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].clientCN, 'tokenworks-partner');
      assert.deepEqual(Object.fromEntries(new URLSearchParams(sent[0].body.toString())), {
        client_id: 'tokenworks-partner-7',
        client_secret: 'Zm9vYmFyLXNlY3JldC0xMjM0NTY3ODkw',
        grant_type: 'refresh_token',
        refresh_token: 'stored-refresh-token',
      });

      // The first time: an authorization code, exchanged once; getToken then uses its token.
      const withCode = await run({ CYBERSOURCE_CODE: 'AuthCode-4f1c2b9e' });
      assert.equal(withCode.code, 0, withCode.stderr);
      const exchanged = server.requests.slice(before + 1);
      assert.deepEqual(exchanged.map((request) => new URLSearchParams(request.body.toString()).get('grant_type')), ['authorization_code']);

      // Without the client certificate the handshake fails, and the example says so.
      const refused = await run({ CYBERSOURCE_CERT_FILE: '', CYBERSOURCE_KEY_FILE: '' });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^no token: createAccessToken: (TLS failed for|connection failed during) POST /);
      assert.ok(!refused.stderr.includes('Zm9vYmFy'));
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  test('fifty concurrent callers, one token request; a rotated refresh token is used next', async () => {
    let requests = 0;
    const recorder = await startRecorder((request) => {
      requests += 1;
      const sent = new URLSearchParams(request.body.toString());
      return {
        status: 200,
        headers: JSON_UTF8,
        body: JSON.stringify({ access_token: `access-${requests}`, token_type: 'Bearer', expires_in: 900, refresh_token: `rotated-${requests}`, echoed: sent.get('refresh_token') }),
      };
    });
    try {
      const now = { t: 0 };
      const stored = [];
      const manager = new CyberSource.TokenManager({
        clientId: 'partner',
        clientSecret: 'secret',
        refreshToken: 'stored',
        apiClient: new CyberSource.ApiClient(recorder.url),
        clock: () => now.t,
        onToken: (token) => stored.push(token.refresh_token),
      });
      const tokens = await Promise.all(Array.from({ length: 50 }, () => manager.getToken()));
      assert.deepEqual(new Set(tokens), new Set(['access-1']));
      assert.equal(recorder.requests.length, 1);
      now.t += 900;
      assert.equal(await manager.getToken(), 'access-2');
      assert.deepEqual(recorder.requests.map((request) => new URLSearchParams(request.body.toString()).get('refresh_token')), ['stored', 'rotated-1']);
      assert.deepEqual(stored, ['rotated-1', 'rotated-2']);
      assert.ok(manager.token instanceof CyberSource.AccessTokenResponse);
    } finally {
      await recorder.close();
    }
  });

  test('its requests authenticate the client only by its credentials: a strict server takes them', async () => {
    // As oidc-provider does (RFC 6749 section 2.3.1): two client authentication mechanisms
    // (an Authorization header beside client_secret in the form) are refused.
    const recorder = await startRecorder((request) => {
      const form = new URLSearchParams(request.body.toString());
      if (request.headers.authorization !== undefined && form.has('client_secret')) {
        return { status: 400, headers: JSON_UTF8, body: JSON.stringify({ error: 'invalid_request', error_description: 'client authentication must only be provided using one mechanism' }) };
      }
      return { status: 200, headers: JSON_UTF8, body: JSON.stringify({ access_token: 'strict-access', token_type: 'Bearer', expires_in: 900 }) };
    });
    try {
      const apiClient = new CyberSource.ApiClient({ basePath: recorder.url, retries: 0, defaultHeaders: { Authorization: 'API-Key default-789' } });
      const manager = new CyberSource.TokenManager({ clientId: 'partner', clientSecret: 'secret-0123456789', refreshToken: 'stored', apiClient });
      assert.equal(await manager.getToken(), 'strict-access');
      assert.equal(recorder.requests[0].headers.authorization, undefined);
      assert.equal(new URLSearchParams(recorder.requests[0].body.toString()).get('client_secret'), 'secret-0123456789');

      // A direct call of the token operation sends what the client was given: refused.
      const request = new CyberSource.CreateAccessTokenRequest();
      Object.assign(request, { client_id: 'partner', client_secret: 'secret-0123456789', grant_type: 'refresh_token', refresh_token: 'stored' });
      await assert.rejects(new CyberSource.OAuthApi(apiClient).createAccessToken(request),
        (error) => error instanceof CyberSource.BadRequestException && error.error === 'invalid_request');
      assert.equal(recorder.requests[1].headers.authorization, 'API-Key default-789');
    } finally {
      await recorder.close();
    }
  });
});
