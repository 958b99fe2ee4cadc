'use strict';
// The CyberSource Node package through a forward proxy (support.js startForwardProxy), as the
// Python packages go (tests/test_proxies.py): the `proxy` setting or, with trustEnv (the
// default), HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY in either case; http targets in
// absolute form, https targets through a CONNECT tunnel; the proxy's credentials as
// Proxy-Authorization, never in an error. The targets are a recording HTTP server and an
// HTTPS server that requires the client certificate (throwaway certificates from openssl).

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const util = require('node:util');
const { after, afterEach, before, beforeEach, describe, test } = require('node:test');

const {
  HOST, PACKAGE_DIR, makeCertificates, startForwardProxy, startMutualTlsServer, startRecorder,
} = require('./support');

const CyberSource = require(PACKAGE_DIR);

const TOKEN = { access_token: 'eyJhbGciOiJSUzI1NiJ9.proxied.c2ln', token_type: 'Bearer', expires_in: 900 };
const PROXY_USER = 'proxy-user';
const PROXY_PASSWORD = 'pr0xy-Pa55w0rd-Zq9';
const PROXY_CREDENTIALS = `${PROXY_USER}:${PROXY_PASSWORD}`;
const PROXY_BASIC = Buffer.from(PROXY_CREDENTIALS).toString('base64');
const SECRET = 'client-secret-0123456789';
const VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'REQUEST_METHOD'];

const tokenRequest = () => new CyberSource.CreateAccessTokenRequest({
  client_id: 'partner', client_secret: SECRET, grant_type: 'refresh_token', refresh_token: 'stored-refresh-token',
});

/** Sets the proxy variables to `values` (both cases cleared first) until restoreEnvironment(). */
const saved = {};
function setEnvironment(values) {
  for (const name of VARIABLES.flatMap((variable) => [variable, variable.toLowerCase()])) {
    if (!(name in saved)) {
      saved[name] = process.env[name];
    }
    delete process.env[name];
  }
  Object.assign(process.env, values);
}

function restoreEnvironment() {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) {
      delete process.env[name];
    } else {
      process.env[name] = value;
    }
    delete saved[name];
  }
}

/** Every text of an error a user may print. */
function shown(error) {
  return [error.message, error.stack, error.body, error.statusText, util.inspect(error, { depth: 5, showHidden: false }), JSON.stringify(error)].join('\n');
}

function assertNoProxyCredentials(...texts) {
  for (const text of texts) {
    assert.ok(!text.includes(PROXY_PASSWORD), `the proxy password shows in: ${text}`);
    assert.ok(!text.includes(PROXY_BASIC), `the Basic credentials show in: ${text}`);
  }
}

describe('through a proxy', () => {
  let certs;
  let httpTarget;
  let httpsTarget;
  let proxy;
  let openProxy;

  const answer = () => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(TOKEN) });
  const targets = () => [
    { name: 'http', url: httpTarget.url, requests: httpTarget.requests, options: {} },
    { name: 'https', url: httpsTarget.url, requests: httpsTarget.requests, options: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey } },
  ];
  /** The token call against `target` with `options` (no retries unless given); {data} or {error}. */
  async function tokenCall(target, options = {}) {
    const client = new CyberSource.ApiClient({ basePath: target.url, retries: 0, ...target.options, ...options });
    try {
      return { data: await new CyberSource.OAuthApi(client).createAccessToken(tokenRequest()), client };
    } catch (error) {
      return { error, client };
    }
  }

  before(async () => {
    certs = makeCertificates();
    httpTarget = await startRecorder(answer);
    httpsTarget = await startMutualTlsServer(certs, answer);
  });

  after(async () => {
    await httpTarget.close();
    await httpsTarget.close();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    setEnvironment({});
    httpTarget.requests.length = 0;
    httpsTarget.requests.length = 0;
    proxy = await startForwardProxy({ credentials: PROXY_CREDENTIALS });
    openProxy = await startForwardProxy();
  });

  afterEach(async () => {
    restoreEnvironment();
    await proxy.close();
    await openProxy.close();
  });

  test('http: the absolute URL goes to the proxy with Proxy-Authorization, which the target never sees', async () => {
    const [target] = targets();
    const { data, client, error } = await tokenCall(target, { proxy: proxy.withCredentials() });
    assert.equal(error, undefined);
    assert.equal(data.access_token, TOKEN.access_token);
    assert.deepEqual(proxy.seen.map((seen) => [seen.method, seen.target]), [['POST', `${target.url}/oauth2/v3/token`]]);
    assert.equal(proxy.seen[0].headers['proxy-authorization'], proxy.expected);
    assert.equal(proxy.seen[0].headers.host, target.url.slice('http://'.length));
    const [request] = target.requests;
    assert.equal(request.headers.via, '1.1 tokenworks-test-proxy'); // it came through the proxy
    assert.equal(request.headers['proxy-authorization'], undefined);
    assert.equal(new URLSearchParams(request.body.toString()).get('client_secret'), SECRET);
    assertNoProxyCredentials(util.inspect(client, { depth: 5 }), JSON.stringify(Object.keys(client)));
  });

  test('https: a CONNECT tunnel with Proxy-Authorization; inside it TLS with the client certificate', async () => {
    const target = targets()[1];
    const { data, error } = await tokenCall(target, { proxy: proxy.withCredentials() });
    assert.equal(error, undefined);
    assert.equal(data.access_token, TOKEN.access_token);
    assert.deepEqual(proxy.seen.map((seen) => [seen.method, seen.target]), [['CONNECT', target.url.slice('https://'.length)]]);
    assert.equal(proxy.seen[0].headers['proxy-authorization'], proxy.expected);
    const [request] = target.requests;
    assert.equal(request.clientCN, 'tokenworks-partner');
    assert.equal(request.headers['proxy-authorization'], undefined);
    assert.equal(request.headers.via, undefined);
  });

  test('a kept tunnel carries the next call; the process still ends when the calls are done', async () => {
    const target = targets()[1];
    const client = new CyberSource.ApiClient({ basePath: target.url, retries: 0, proxy: proxy.withCredentials(), ...target.options });
    const api = new CyberSource.OAuthApi(client);
    await api.createAccessToken(tokenRequest());
    await api.createAccessToken(tokenRequest());
    assert.equal(target.requests.length, 2);
    assert.equal(proxy.seen.length, 1, 'one tunnel for both calls');
    // In a process of its own: nothing left open keeps it alive after its call.
    const code = `const C = require(${JSON.stringify(PACKAGE_DIR)});
      const client = new C.ApiClient(${JSON.stringify({ basePath: target.url, retries: 0, proxy: proxy.withCredentials(), ...target.options })});
      new C.OAuthApi(client).createAccessToken(${JSON.stringify({ client_id: 'partner', client_secret: SECRET, grant_type: 'refresh_token', refresh_token: 'r' })})
        .then((data) => console.log(data.token_type));`;
    const output = await new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', code], { timeout: 20000 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim())));
    });
    assert.equal(output, 'Bearer');
  });

  test('an https:// proxy: TLS to the proxy, verified with caFile; both targets through it', async () => {
    const secure = await startForwardProxy({ credentials: PROXY_CREDENTIALS, certs });
    try {
      for (const target of targets()) {
        const { data, error } = await tokenCall(target, { proxy: secure.withCredentials(), caFile: certs.ca });
        assert.equal(error, undefined, `${target.name}: ${error}`);
        assert.equal(data.access_token, TOKEN.access_token);
      }
      assert.deepEqual(secure.seen.map((seen) => seen.method), ['POST', 'CONNECT']);
      assert.ok(secure.seen.every((seen) => seen.headers['proxy-authorization'] === secure.expected));
      // Without the CA, the proxy's certificate is refused: a connection error naming TLS.
      const { error } = await tokenCall(targets()[0], { proxy: secure.withCredentials() });
      assert.ok(error instanceof CyberSource.ApiConnectionError, String(error));
      assert.equal(secure.seen.length, 2);
      assertNoProxyCredentials(shown(error));
    } finally {
      await secure.close();
    }
  });

  test('percent-encoded credentials in the URL are decoded before they are sent', async () => {
    const credentials = 'user@corp:p@ss:w0rd/x';
    const special = await startForwardProxy({ credentials });
    try {
      const { error } = await tokenCall(targets()[0], { proxy: `http://user%40corp:p%40ss%3Aw0rd%2Fx@${HOST}:${special.port}` });
      assert.equal(error, undefined);
      assert.equal(special.seen[0].headers['proxy-authorization'], special.expected);
    } finally {
      await special.close();
    }
  });

  test('proxyHeaders go to the proxy alone; a Proxy-Authorization among them replaces the URL\'s credentials', async () => {
    for (const target of targets()) {
      openProxy.seen.length = 0;
      const { error } = await tokenCall(target, { proxy: openProxy.url, proxyHeaders: { 'X-Proxy-Team': 'tokenworks' } });
      assert.equal(error, undefined);
      assert.equal(openProxy.seen[0].headers['x-proxy-team'], 'tokenworks');
      assert.equal(openProxy.seen[0].headers['proxy-authorization'], undefined);
      assert.equal(target.requests.at(-1).headers['x-proxy-team'], target.name === 'https' ? undefined : 'tokenworks');
    }
    const { error } = await tokenCall(targets()[0], { proxy: proxy.withCredentials('someone:else'), proxyHeaders: { 'Proxy-Authorization': proxy.expected } });
    assert.equal(error, undefined);
    assert.equal(proxy.seen[0].headers['proxy-authorization'], proxy.expected);
  });

  for (const given of ['no credentials', 'a wrong password']) {
    test(`${given}: 407 raised once (not retried, the target never reached), credentials in no error`, async () => {
      for (const target of targets()) {
        proxy.seen.length = 0;
        const address = given === 'no credentials' ? proxy.url : proxy.withCredentials(`${PROXY_USER}:wrong-${PROXY_PASSWORD}`);
        const waits = [];
        const { error } = await tokenCall(target, { proxy: address, retries: 2, sleep: async (seconds) => { waits.push(seconds); } });
        assert.ok(error instanceof CyberSource.ApiError, `${target.name}: ${error}`);
        assert.equal(error.constructor, CyberSource.ApiError, `${target.name}: the base class for 407, not ${error.name}`);
        assert.equal(error.status, 407);
        assert.equal(error.statusText, 'Proxy Authentication Required');
        assert.match(error.message, /^createAccessToken\b.*407 Proxy Authentication Required/);
        assert.equal(proxy.seen.length, 1);
        assert.deepEqual(waits, []);
        assert.equal(target.requests.length, 0);
        assertNoProxyCredentials(shown(error));
      }
    });
  }

  test('an unreachable proxy: ApiConnectionError, not connected (so retried), naming the proxy without its credentials', async () => {
    const holder = net.createServer();
    await new Promise((resolve) => holder.listen(0, HOST, resolve)); // a port that is taken...
    const { port } = holder.address();
    await new Promise((resolve) => holder.close(resolve)); // ...and now refuses
    for (const target of targets()) {
      const waits = [];
      const { error } = await tokenCall(target, { proxy: `http://${PROXY_CREDENTIALS}@${HOST}:${port}`, retries: 2, sleep: async (seconds) => { waits.push(seconds); } });
      assert.ok(error instanceof CyberSource.ApiConnectionError, `${target.name}: ${error}`);
      assert.equal(error.connected, false);
      assert.equal(waits.length, 2, 'retried: the target certainly saw nothing');
      assert.match(error.message, new RegExp(`proxy http://${HOST}:${port}`));
      assert.equal(target.requests.length, 0);
      assertNoProxyCredentials(shown(error));
    }
  });

  test('a bad proxy URL, or a proxy with an agent, is refused at once without echoing the URL', () => {
    for (const bad of [`ftp://${PROXY_CREDENTIALS}@proxy:21`, `http://${PROXY_USER}:${PROXY_PASSWORD}@`, 'http://[::1']) {
      assert.throws(() => new CyberSource.ApiClient({ proxy: bad }), (error) => error instanceof CyberSource.ApiValueError
        && /^proxy must be an http:\/\/ or https:\/\/ proxy URL/.test(error.message) && !error.message.includes(PROXY_PASSWORD));
    }
    assert.throws(() => new CyberSource.ApiClient({ proxy: 3128 }), CyberSource.ApiTypeError);
    assert.throws(() => new CyberSource.ApiClient({ trustEnv: false, proxy: proxy.url, agent: new (require('node:http').Agent)() }), /a proxy or an agent, not both/);
  });

  describe('from the environment', () => {
    for (const upper of [true, false]) {
      test(`${upper ? 'HTTPS_PROXY / HTTP_PROXY' : 'https_proxy / http_proxy'} serve their scheme by default`, async () => {
        for (const target of targets()) {
          proxy.seen.length = 0;
          const variable = target.name === 'https' ? 'HTTPS_PROXY' : 'HTTP_PROXY';
          setEnvironment({ [upper ? variable : variable.toLowerCase()]: proxy.withCredentials() });
          const { data, error } = await tokenCall(target);
          assert.equal(error, undefined);
          assert.equal(data.access_token, TOKEN.access_token);
          assert.deepEqual(proxy.seen.map((seen) => seen.method), [target.name === 'https' ? 'CONNECT' : 'POST']);
          assert.equal(proxy.seen[0].headers['proxy-authorization'], proxy.expected);
        }
      });
    }

    test('the other scheme\'s proxy is not used; ALL_PROXY serves both', async () => {
      const [http, secure] = targets();
      setEnvironment({ HTTPS_PROXY: proxy.withCredentials() });
      await tokenCall(http);
      setEnvironment({ http_proxy: proxy.withCredentials() });
      await tokenCall(secure);
      assert.deepEqual(proxy.seen, []);
      assert.equal(http.requests.length + secure.requests.length, 2);
      setEnvironment({ ALL_PROXY: proxy.withCredentials() });
      await tokenCall(http);
      await tokenCall(secure);
      assert.deepEqual(proxy.seen.map((seen) => seen.method), ['POST', 'CONNECT']);
    });

    test('a lower-case variable wins over the upper-case one', async () => {
      setEnvironment({ HTTP_PROXY: proxy.withCredentials(), http_proxy: openProxy.url });
      const { error } = await tokenCall(targets()[0]);
      assert.equal(error, undefined);
      assert.deepEqual([proxy.seen.length, openProxy.seen.length], [0, 1]);
    });

    const port = () => Number(new URL(httpTarget.url).port);
    const cases = [
      ['127.0.0.1', true],
      ['example.com, 127.0.0.1', true],
      ['*', true],
      ['.0.0.1', true], // a suffix of the host, as Python matches it
      [() => `127.0.0.1:${port()}`, true], // host and port
      [() => `127.0.0.1:${port() + 1}`, false], // another port
      ['example.com,10.0.0.1', false],
      ['*,example.com', false], // '*' counts only alone
      ['', false],
    ];
    for (const [noProxy, bypassed] of cases) {
      for (const variable of ['NO_PROXY', 'no_proxy']) {
        const label = typeof noProxy === 'function' ? noProxy.toString().replace(/^\(\) => /, '') : `'${noProxy}'`;
        test(`${variable}=${label}: ${bypassed ? 'reached directly' : 'through the proxy'}`, async () => {
          const target = targets()[0];
          setEnvironment({ HTTP_PROXY: proxy.withCredentials(), [variable]: typeof noProxy === 'function' ? noProxy() : noProxy });
          const { error } = await tokenCall(target);
          assert.equal(error, undefined);
          assert.equal(target.requests.length, 1);
          assert.equal(proxy.seen.length, bypassed ? 0 : 1);
        });
      }
    }

    test('NO_PROXY for an https target', async () => {
      const target = targets()[1];
      setEnvironment({ HTTPS_PROXY: proxy.withCredentials(), NO_PROXY: 'localhost,127.0.0.1' });
      const { error } = await tokenCall(target);
      assert.equal(error, undefined);
      assert.deepEqual([proxy.seen.length, target.requests.length], [0, 1]);
    });

    test('trustEnv: false ignores the environment', async () => {
      for (const target of targets()) {
        setEnvironment({ HTTP_PROXY: proxy.withCredentials(), https_proxy: proxy.withCredentials(), ALL_PROXY: proxy.withCredentials() });
        const { error } = await tokenCall(target, { trustEnv: false });
        assert.equal(error, undefined);
        assert.equal(target.requests.length, 1);
      }
      assert.deepEqual(proxy.seen, []);
    });

    test('the proxy setting wins over the environment', async () => {
      for (const target of targets()) {
        setEnvironment({ HTTP_PROXY: proxy.withCredentials(), HTTPS_PROXY: proxy.withCredentials() });
        const { error } = await tokenCall(target, { proxy: openProxy.url });
        assert.equal(error, undefined);
      }
      assert.deepEqual([proxy.seen.length, openProxy.seen.length], [0, 2]);
    });

    test('an agent decides the route itself: the environment is not used with one', async () => {
      setEnvironment({ HTTP_PROXY: proxy.withCredentials() });
      const { error } = await tokenCall(targets()[0], { agent: new (require('node:http').Agent)() });
      assert.equal(error, undefined);
      assert.deepEqual(proxy.seen, []);
    });

    test('in a CGI script (REQUEST_METHOD set) HTTP_PROXY is ignored, http_proxy is not', async () => {
      const target = targets()[0];
      setEnvironment({ REQUEST_METHOD: 'GET', HTTP_PROXY: proxy.withCredentials() });
      await tokenCall(target);
      assert.equal(proxy.seen.length, 0);
      setEnvironment({ REQUEST_METHOD: 'GET', http_proxy: proxy.withCredentials() });
      await tokenCall(target);
      assert.equal(proxy.seen.length, 1);
    });

    test('407 and an unreachable proxy from the environment: credentials in no error or console output', async () => {
      for (const target of targets()) {
        setEnvironment({ HTTP_PROXY: proxy.withCredentials(`${PROXY_USER}:wrong-${PROXY_PASSWORD}`), HTTPS_PROXY: proxy.withCredentials(`${PROXY_USER}:wrong-${PROXY_PASSWORD}`) });
        const { error, client } = await tokenCall(target);
        assert.equal(error.status, 407);
        assertNoProxyCredentials(shown(error), util.inspect(client, { depth: 5 }));
      }
      setEnvironment({ HTTP_PROXY: `http://${PROXY_CREDENTIALS}@${HOST}:1` });
      const { error } = await tokenCall(targets()[0]);
      assert.ok(error instanceof CyberSource.ApiConnectionError);
      assertNoProxyCredentials(shown(error));
    });
  });
});
