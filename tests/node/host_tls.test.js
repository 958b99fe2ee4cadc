'use strict';
// Which host the CyberSource Node package talks to, and how: the spec's named servers, the
// CYBERSOURCE_HOST variable, mutual TLS against a loopback server that requires and
// verifies a client certificate (throwaway certificates made with openssl), and a proxy
// through an agent.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const tls = require('node:tls');
const util = require('node:util');
const { after, before, describe, test } = require('node:test');

const { HOST, PACKAGE_DIR, makeCertificates, startMutualTlsServer } = require('./support');

const CyberSource = require(PACKAGE_DIR);

const TOKEN = { access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0bHMifQ.c2ln', token_type: 'Bearer', expires_in: 900, refresh_token: 'refresh-tls' };
const SECRET = 'client-secret-0123456789';

const request = () => new CyberSource.CreateAccessTokenRequest({
  client_id: 'partner', client_secret: SECRET, grant_type: 'refresh_token', refresh_token: 'stored-refresh-token',
});

/** Runs `code` in a fresh node process with `env` added; resolves its trimmed stdout or rejects with stderr. */
function runNode(code, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', code], { env: { ...process.env, ...env }, timeout: 20000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(stderr || error.message));
      } else {
        resolve(stdout.trim());
      }
    });
  });
}

describe('servers and the host variable', () => {
  test('the spec\'s servers by name and index; production is the default', () => {
    assert.deepEqual(CyberSource.ApiClient.servers.map((server) => [server.name, server.url]), [
      ['production', 'https://api-ma.Cybersource.com'],
      ['test', 'https://api-matest.cybersource.com'],
    ]);
    assert.equal(new CyberSource.ApiClient({ server: 'test' }).basePath, 'https://api-matest.cybersource.com');
    assert.equal(new CyberSource.ApiClient({ server: 0 }).basePath, 'https://api-ma.Cybersource.com');
    assert.equal(new CyberSource.ApiClient({ server: 'production' }).useServer('test').basePath, 'https://api-matest.cybersource.com');
    assert.throws(() => new CyberSource.ApiClient({ server: 'sandbox' }), CyberSource.ApiValueError);
  });

  test('CYBERSOURCE_HOST: unset, a server name or a URL; anything else is refused with the names', async () => {
    const code = `const C = require(${JSON.stringify(PACKAGE_DIR)});
      console.log(C.ApiClient.instance.basePath, new C.OAuthApi().apiClient.basePath, new C.ApiClient().basePath);`;
    const env = { CYBERSOURCE_HOST: '' };
    assert.equal(await runNode(code, env), 'https://api-ma.Cybersource.com '.repeat(3).trim());
    assert.equal(await runNode(code, { CYBERSOURCE_HOST: 'test' }), 'https://api-matest.cybersource.com '.repeat(3).trim());
    assert.equal(await runNode(code, { CYBERSOURCE_HOST: 'http://127.0.0.1:4010' }), 'http://127.0.0.1:4010 '.repeat(3).trim());
    await assert.rejects(runNode(code, { CYBERSOURCE_HOST: 'staging' }),
      /ApiValueError: CYBERSOURCE_HOST must be one of the servers of the spec \('production', 'test'\)/);
  });
});

describe('mutual TLS and proxies', () => {
  let certs;
  let server;

  before(async () => {
    certs = makeCertificates();
    server = await startMutualTlsServer(certs, () => ({
      status: 200, headers: { 'Content-Type': 'application/json;charset=utf-8' }, body: JSON.stringify(TOKEN),
    }));
  });

  after(async () => {
    await server.close();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  const client = (options) => new CyberSource.ApiClient({ basePath: server.url, caFile: certs.ca, ...options });

  test('with certFile and keyFile the certificate is presented, verified, and the call succeeds', async () => {
    const before = server.requests.length;
    const api = new CyberSource.OAuthApi(client({ certFile: certs.clientCert, keyFile: certs.clientKey }));
    const data = await api.createAccessToken(request());
    assert.equal(data.access_token, TOKEN.access_token);
    assert.equal(server.requests.length, before + 1);
    assert.equal(server.requests.at(-1).clientCN, 'tokenworks-partner');
    assert.equal(server.requests.at(-1).url, '/oauth2/v3/token');
  });

  test('without a client certificate the call fails with a connection error, not retried, no request seen', async () => {
    for (const options of [{}, { certFile: certs.strangerCert, keyFile: certs.strangerKey }]) {
      const before = server.requests.length;
      const handshakes = server.handshakes.length;
      const error = await new CyberSource.OAuthApi(client(options)).createAccessToken(request()).then(
        () => assert.fail('the call succeeded without a trusted client certificate'),
        (failure) => failure,
      );
      assert.ok(error instanceof CyberSource.ApiConnectionError, `${error.name}: ${error.message}`);
      assert.equal(error.status, 0);
      assert.equal(error.connected, true);
      assert.match(error.message, /^createAccessToken: (TLS failed for|connection failed during) POST https:\/\/127\.0\.0\.1:\d+\/oauth2\/v3\/token: /);
      assert.ok(!error.message.includes(SECRET) && !util.inspect(error).includes(SECRET));
      assert.ok(!error.message.includes('\n'), 'one line');
      assert.equal(server.requests.length, before, 'no HTTP request reached the server');
      assert.ok(server.handshakes.length > handshakes, 'the server refused the handshake');
    }
  });

  test('the server\'s certificate is verified: unknown to Node without caFile, refused', async () => {
    const api = new CyberSource.OAuthApi(new CyberSource.ApiClient({ basePath: server.url, certFile: certs.clientCert, keyFile: certs.clientKey }));
    await assert.rejects(api.createAccessToken(request()), (error) => error instanceof CyberSource.ApiConnectionError
      && /^createAccessToken: TLS failed for /.test(error.message) && error.connected === true);
  });

  test('a missing certificate file is named before anything is sent', () => {
    const api = new CyberSource.OAuthApi(client({ certFile: `${certs.dir}/missing.crt`, keyFile: certs.clientKey }));
    assert.throws(() => api.createAccessToken(request(), () => assert.fail('called back')),
      (error) => error instanceof CyberSource.ApiValueError && /^certFile: cannot read .*missing\.crt \(ENOENT\)$/.test(error.message));
  });

  test('through a CONNECT proxy given as an agent, the certificate still reaches the server', async () => {
    const seen = [];
    const proxy = net.createServer((downstream) => {
      downstream.on('error', () => {});
      downstream.once('data', (head) => {
        const line = head.toString('latin1').split('\r\n')[0];
        seen.push(line);
        const [host, port] = line.split(' ')[1].split(':');
        const upstream = net.connect(Number(port), host, () => {
          downstream.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.pipe(downstream);
          downstream.pipe(upstream);
        });
        upstream.on('error', () => downstream.destroy());
      });
    });
    await new Promise((resolve) => proxy.listen(0, HOST, resolve));

    /** An https.Agent that opens each connection as a CONNECT tunnel through the proxy. */
    class TunnelAgent extends https.Agent {
      createConnection(options, callback) {
        const connect = http.request({ host: HOST, port: proxy.address().port, method: 'CONNECT', path: `${options.host}:${options.port}`, agent: false });
        connect.once('connect', (res, socket) => {
          if (res.statusCode !== 200) {
            callback(new Error(`the proxy answered ${res.statusCode}`));
            return;
          }
          callback(null, tls.connect({ ...options, socket }));
        });
        connect.once('error', callback);
        connect.end();
      }
    }
    const agent = new TunnelAgent({ keepAlive: false });
    try {
      const before = server.requests.length;
      const api = new CyberSource.OAuthApi(client({ agent, certFile: certs.clientCert, keyFile: certs.clientKey }));
      const data = await api.createAccessToken(request());
      assert.equal(data.access_token, TOKEN.access_token);
      assert.deepEqual(seen, [`CONNECT 127.0.0.1:${server.port} HTTP/1.1`]);
      assert.equal(server.requests.length, before + 1);
      assert.equal(server.requests.at(-1).clientCN, 'tokenworks-partner');
    } finally {
      agent.destroy();
      proxy.close();
    }
  });
});
