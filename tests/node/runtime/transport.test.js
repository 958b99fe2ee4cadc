'use strict';
// The runtime's default transport (templates/javascript/runtime/transport.js), as source,
// against raw loopback sockets: a complete answer, and every way of not getting one,
// each an ApiConnectionError that says whether a connection was made.

const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { after, describe, test } = require('node:test');

const { RUNTIME, errors } = require('./fixture');

const { send } = require(path.join(RUNTIME, 'transport.js'));

const servers = [];

/**
 * A TCP server on 127.0.0.1 that reads a request head and then runs `behaviour(socket)`
 * (at once, with `immediate`).
 */
async function rawServer(behaviour, immediate = false) {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (immediate) {
      behaviour(socket);
      return;
    }
    let head = '';
    socket.on('data', function onData(chunk) {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        behaviour(socket);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ server, sockets });
  return server.address().port;
}

after(() => {
  for (const { server, sockets } of servers) {
    sockets.forEach((socket) => socket.destroy());
    server.close();
  }
});

function request(port, extra = {}) {
  return {
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: String(port),
    path: '/oauth/token',
    method: 'POST',
    headers: { 'Content-Length': '3' },
    payload: Buffer.from('a=b'),
    agent: new http.Agent({ keepAlive: false }),
    tls: null,
    timeout: { connect: 2000, read: 2000 },
    maxResponseBytes: 1024,
    where: `POST http://127.0.0.1:${port}/oauth/token`,
    ...extra,
  };
}

function sendOnce(options) {
  return new Promise((resolve) => {
    let calls = 0;
    send(options, (error, answer) => {
      calls += 1;
      setTimeout(() => resolve({ error, answer, calls }), 30);
    });
  });
}

describe('the default transport', () => {
  test('a complete answer: status, reason, headers, body bytes', async () => {
    const port = await rawServer((socket) => {
      socket.end('HTTP/1.1 201 Made\r\nContent-Type: application/json\r\nX-A: 1\r\nContent-Length: 7\r\n\r\n{"a":1}');
    });
    const { error, answer, calls } = await sendOnce(request(port));
    assert.equal(error, null);
    assert.equal(calls, 1);
    assert.deepEqual([answer.status, answer.statusText, answer.headers['x-a'], answer.body.toString()], [201, 'Made', '1', '{"a":1}']);
  });

  test('refused: not connected, ECONNREFUSED', async () => {
    const port = await rawServer(() => {});
    const closed = servers.pop();
    closed.server.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { error, calls } = await sendOnce(request(port));
    assert.equal(calls, 1);
    assert.ok(error instanceof errors.ApiConnectionError);
    assert.deepEqual([error.connected, error.code, error.status], [false, 'ECONNREFUSED', 0]);
    assert.match(error.message, new RegExp(`^could not connect for POST http://127.0.0.1:${port}/oauth/token: `));
  });

  test('a connection that never completes: a connect timeout, not connected', async () => {
    // A socket stuck in connecting, as when SYNs go unanswered.
    const agent = new http.Agent();
    agent.createConnection = () => {
      const socket = new net.Socket();
      socket.connecting = true;
      return socket;
    };
    const { error } = await sendOnce(request(1, { agent, timeout: { connect: 100, read: 5000 } }));
    assert.ok(error instanceof errors.ApiTimeoutError);
    assert.deepEqual([error.connected, error.code], [false, 'ETIMEDOUT']);
    assert.match(error.message, /^timed out connecting for POST/);
  });

  test('the timeout timer keeps a process alive while a request is in flight, and only then', async () => {
    // A child process whose only pending thing is a request stuck connecting (a socket with
    // no handle): the callback still comes. Then it must exit on its own, timer and all.
    const { execFile } = require('node:child_process');
    const code = `
      const http = require('node:http');
      const net = require('node:net');
      const { send } = require(${JSON.stringify(path.join(RUNTIME, 'transport.js'))});
      const agent = new http.Agent();
      agent.createConnection = () => { const socket = new net.Socket(); socket.connecting = true; return socket; };
      send({ protocol: 'http:', hostname: '127.0.0.1', port: '1', path: '/', method: 'POST', headers: {}, payload: null,
        agent, tls: null, timeout: { connect: 50, read: 50 }, maxResponseBytes: 10, where: 'POST x' },
        (error) => console.log(error.message));`;
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', code], { timeout: 20000 }, (error, out) => (error ? reject(error) : resolve(out)));
    });
    assert.equal(stdout, 'timed out connecting for POST x\n');
  });

  test('no answer in time once connected: a read timeout, connected', async () => {
    const port = await rawServer(() => {});
    const { error } = await sendOnce(request(port, { timeout: { connect: 2000, read: 100 } }));
    assert.ok(error instanceof errors.ApiTimeoutError);
    assert.deepEqual([error.connected, error.code], [true, 'ETIMEDOUT']);
    assert.match(error.message, /^timed out waiting for the answer to POST/);
  });

  test('a reset mid-answer and a body cut short: connected failures', async () => {
    const reset = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Ty');
      socket.resetAndDestroy();
    });
    const truncated = await rawServer((socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"access_token": "abc');
    });
    for (const port of [reset, truncated]) {
      const { error, calls } = await sendOnce(request(port));
      assert.equal(calls, 1);
      assert.ok(error instanceof errors.ApiConnectionError, String(error));
      assert.equal(error.connected, true);
      assert.match(error.message, /^connection failed during POST/);
    }
  });

  test('an answer that is not HTTP: MalformedResponseError, not a connection failure', async () => {
    const garbage = await rawServer((socket) => socket.end('HELLO THERE\r\n\r\n'));
    const { error } = await sendOnce(request(garbage));
    assert.ok(error instanceof errors.MalformedResponseError, String(error));
    assert.match(error.message, /^the answer to POST http:\/\/127\.0\.0\.1:\d+\/oauth\/token is not valid HTTP \(HPE_/);
  });

  test('an answer over maxResponseBytes stops being read', async () => {
    const port = await rawServer((socket) => {
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n${'x'.repeat(4096)}`);
    });
    const { error, answer } = await sendOnce(request(port));
    assert.equal(error, null);
    assert.deepEqual([answer.status, answer.body, answer.tooLarge], [200, null, true]);
  });

  test('TLS refused by the server: a TLS failure, connected', async () => {
    // An https request to a plain-text server: the handshake fails.
    const port = await rawServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'), true);
    const https = require('node:https');
    const { error } = await sendOnce(request(port, { protocol: 'https:', agent: new https.Agent(), tls: { rejectUnauthorized: true } }));
    assert.ok(error instanceof errors.ApiConnectionError, String(error));
    assert.equal(error.connected, true);
    assert.match(error.message, /^TLS failed for POST/);
  });
});
