'use strict';
// Shared by the *.test.js files here: the generated package, a Prism mock of the spec,
// a recording HTTP server and a throwaway project that installs the package like a user.

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_DIR = path.join(REPO_ROOT, 'generated', 'cybersource-node');
const SPEC = path.join(REPO_ROOT, 'openapi', 'cybersource.yaml');
const PRISM = path.join(REPO_ROOT, 'node_modules', '.bin', 'prism');
const HOST = '127.0.0.1';

/** A TCP port on HOST that is free right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `prism mock` on the CyberSource spec (request validation on, the spec's examples as
 * answers), in its own process group. Resolves once Prism says it is listening.
 */
async function startPrism({ timeoutMs = 60000 } = {}) {
  if (!fs.existsSync(PRISM)) {
    throw new Error(`${PRISM} is missing: run \`npm ci\` in ${REPO_ROOT}`);
  }
  const port = await freePort();
  const child = spawn(PRISM, ['mock', SPEC, '--host', HOST, '--port', String(port), '--dynamic=false'], {
    cwd: REPO_ROOT,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch (error) {
      resolve();
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch (error) {
        // already gone
      }
    }, 5000).unref();
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`prism was not listening after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk) => {
      output += chunk;
      if (output.includes('Prism is listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`prism exited with code ${code}:\n${output}`));
    });
  });
  return { url: `http://${HOST}:${port}`, stop, output: () => output };
}

/**
 * Listen on HOST with the server `create(handler)` makes, recording each request (method,
 * url, headers, body bytes, and what `details(req)` adds) and answering it with
 * `respond(request)` -> {status, headers, body}; `respond` may return null to never answer.
 * `socketEvent` names the server's event for a new connection. Resolves {port, requests, close}.
 */
async function listenRecording(create, socketEvent, respond, details) {
  const requests = [];
  const sockets = new Set();
  const server = create((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks), ...details(req) };
      requests.push(request);
      const answer = respond(request);
      if (answer === null) {
        return;
      }
      res.writeHead(answer.status, answer.headers || {});
      res.end(answer.body === undefined ? '' : answer.body);
    });
  });
  server.on(socketEvent, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return {
    port: server.address().port,
    requests,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) {
        socket.destroy();
      }
      server.close(() => resolve());
    }),
  };
}

/**
 * An HTTP server that records every request (method, url, headers, rawHeaders, body bytes)
 * and answers with `respond(request)` -> {status, headers, body}; `respond` may return null
 * to never answer.
 */
async function startRecorder(respond) {
  const { port, requests, close } = await listenRecording(
    (handler) => http.createServer(handler), 'connection', respond, (req) => ({ rawHeaders: req.rawHeaders }),
  );
  return { url: `http://${HOST}:${port}`, requests, close };
}

/**
 * For a describe block: a startRecorder server, started before its tests and closed after.
 * `recorder.server` is the server (url, requests); the tests set `recorder.answer`, which
 * answers each request.
 */
function recorderForSuite() {
  const { after, before } = require('node:test');
  const recorder = { server: undefined, answer: () => null };
  before(async () => {
    recorder.server = await startRecorder((request) => recorder.answer(request));
  });
  after(() => recorder.server.close());
  return recorder;
}

/**
 * A new project folder in which `npm install <generated/cybersource-node>` ran, as the
 * package's README says: node_modules/CyberSource then points at the package.
 */
function installIntoTempProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cybersource-node-user-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  execFileSync('npm', ['install', '--offline', '--install-links=false', '--no-audit', '--no-fund', '--loglevel=error', PACKAGE_DIR], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  return dir;
}

/**
 * Throwaway certificates made with the openssl CLI in a new temporary folder: a CA, a
 * server certificate for 127.0.0.1 and localhost, and a client certificate (CN
 * tokenworks-partner), each signed by the CA; and a second CA's client certificate that
 * the server must refuse. Returns the folder and the paths; remove the folder when done.
 */
function makeCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenworks-tls-'));
  const file = (name) => path.join(dir, name);
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', ...key, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=tokenworks test ${ca}`);
  }
  fs.writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const sign = (name, cn, ca, ext) => {
    openssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', ...(ext ? ['-extfile', ext] : []));
  };
  sign('server', '127.0.0.1', 'ca', 'server.ext');
  sign('client', 'tokenworks-partner', 'ca');
  sign('stranger', 'stranger', 'other-ca');
  return {
    dir,
    ca: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    strangerCert: file('stranger.crt'),
    strangerKey: file('stranger.key'),
  };
}

/**
 * An HTTPS server on 127.0.0.1 that requires a client certificate signed by the test CA
 * (requestCert, rejectUnauthorized) and answers `respond(request)` -> {status, headers,
 * body}. `requests` records each request with the subject CN of the certificate presented.
 */
async function startMutualTlsServer(certs, respond) {
  const https = require('node:https');
  const handshakes = [];
  const create = (handler) => {
    const server = https.createServer({
      key: fs.readFileSync(certs.serverKey),
      cert: fs.readFileSync(certs.serverCert),
      ca: fs.readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
    }, handler);
    server.on('tlsClientError', (error) => handshakes.push(error.code || error.message));
    return server;
  };
  const clientCN = (req) => {
    const peer = req.socket.getPeerCertificate();
    return { clientCN: peer && peer.subject ? peer.subject.CN : undefined };
  };
  const { port, requests, close } = await listenRecording(create, 'secureConnection', respond, clientCN);
  return { url: `https://${HOST}:${port}`, port, requests, handshakes, close };
}

/**
 * A forward proxy on 127.0.0.1, to loopback only: plain-HTTP requests in absolute form are
 * forwarded (with `Via: 1.1 tokenworks-test-proxy`, without the proxy's own headers), and
 * CONNECT opens a tunnel. With `credentials` ('user:password') it answers 407 to a request
 * whose Proxy-Authorization is not those credentials as Basic. `seen` records each
 * request it got: {method, target, headers} (CONNECT host:port, or the absolute URL). With
 * `certs` (makeCertificates) it is an HTTPS proxy, its certificate the server one.
 */
async function startForwardProxy({ credentials, certs } = {}) {
  const expected = credentials ? `Basic ${Buffer.from(credentials, 'latin1').toString('base64')}` : null;
  const seen = [];
  const sockets = new Set();
  const loopback = (host) => ['127.0.0.1', '::1', 'localhost'].includes(host);
  const authorized = (req) => expected === null || req.headers['proxy-authorization'] === expected;
  const tlsOptions = certs ? { key: fs.readFileSync(certs.serverKey), cert: fs.readFileSync(certs.serverCert) } : {};
  const server = (certs ? require('node:https') : http).createServer(tlsOptions, (req, res) => {
    seen.push({ method: req.method, target: req.url, headers: req.headers });
    if (!authorized(req)) {
      res.writeHead(407, 'Proxy Authentication Required', { 'Proxy-Authenticate': 'Basic realm="tokenworks"', 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('proxy credentials required');
      return;
    }
    const url = new URL(req.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!loopback(host)) {
      res.writeHead(403, 'Forbidden');
      res.end();
      return;
    }
    const headers = { ...req.headers, via: '1.1 tokenworks-test-proxy' };
    for (const hop of ['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive']) {
      delete headers[hop];
    }
    const upstream = http.request({ host, port: url.port || 80, method: req.method, path: url.pathname + url.search, headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode, answer.statusMessage, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502, 'Bad Gateway');
      res.end();
    });
    req.pipe(upstream);
  });
  server.on('connect', (req, client, head) => {
    seen.push({ method: 'CONNECT', target: req.url, headers: req.headers });
    sockets.add(client);
    client.on('error', () => {});
    if (!authorized(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="tokenworks"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const colon = req.url.lastIndexOf(':');
    const host = req.url.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    if (!loopback(host)) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(req.url.slice(colon + 1)), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) {
        upstream.write(head);
      }
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  server.on(certs ? 'secureConnection' : 'connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  const port = server.address().port;
  const scheme = certs ? 'https' : 'http';
  return {
    port,
    url: `${scheme}://${HOST}:${port}`,
    expected,
    seen,
    withCredentials: (given = credentials) => `${scheme}://${given}@${HOST}:${port}`,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) {
        socket.destroy();
      }
      server.close(() => resolve());
    }),
  };
}

/**
 * The family of a package's error as the Python side names it (tests/test_node_parity.py,
 * tests/test_node_security.py): the class name, the base class as ApiException, bad input
 * as TypeError or ValueError.
 */
function errorFamily(pkg, error) {
  if (error instanceof pkg.ApiTypeError || error instanceof TypeError) {
    return 'TypeError';
  }
  if (error instanceof pkg.ApiValueError || error instanceof RangeError) {
    return 'ValueError';
  }
  if (error.constructor === pkg.ApiError) {
    return 'ApiException';
  }
  return error.constructor.name;
}

/** The ```javascript blocks of a markdown file. */
function javascriptBlocks(markdownPath) {
  return javascriptBlocks.fromText(fs.readFileSync(markdownPath, 'utf8'));
}

/** The ```javascript blocks of markdown text. */
javascriptBlocks.fromText = (text) => [...text.matchAll(/```javascript\n([\s\S]*?)```/g)].map((match) => match[1]);

/** The example of a response in the spec, e.g. the access_token of the 200 answer. */
function specExampleValue(key) {
  const match = new RegExp(`^\\s+${key}: (\\S+)$`, 'm').exec(fs.readFileSync(SPEC, 'utf8'));
  if (!match) {
    throw new Error(`no example ${key} in ${SPEC}`);
  }
  return match[1];
}

module.exports = {
  HOST,
  PACKAGE_DIR,
  errorFamily,
  REPO_ROOT,
  freePort,
  installIntoTempProject,
  javascriptBlocks,
  makeCertificates,
  startForwardProxy,
  startMutualTlsServer,
  specExampleValue,
  startPrism,
  startRecorder,
  recorderForSuite,
};
