'use strict';
// The default transport: one request over node:http or node:https, the whole answer read
// into a Buffer. It never retries (the client decides) and turns every failure into an
// ApiConnectionError that says whether a connection was made.
//
// A transport is a function (request, callback): `request` is what ApiClient builds
// ({protocol, hostname, port, path, method, headers, payload, agent, tls, timeout:
// {connect, read} in ms, maxResponseBytes, where}) and `callback(error, answer)` gets an
// ApiConnectionError, or {status, statusText, headers, body} (body null and tooLarge true
// when the answer passed maxResponseBytes). ApiClient takes another one as its
// `transport` option.

const http = require('http');
const https = require('https');

const { ApiConnectionError, ApiTimeoutError } = require('./errors');

/** Error codes of a connection that could not be made: the server saw nothing. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EHOSTUNREACH', 'ENETUNREACH',
  'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL',
]);

/**
 * @typedef {{protocol: string, hostname: string, port: string, path: string, method: string,
 *   headers: Object<string, string>, payload: Buffer|null, agent?: object,
 *   tls: object|null, timeout: {connect: number, read: number},
 *   maxResponseBytes: number, where: string}} TransportRequest
 * @typedef {{status: number, statusText: string, headers: Object<string, string|string[]|undefined>,
 *   body: Buffer|null, tooLarge?: boolean}} TransportAnswer
 * @typedef {(error: InstanceType<typeof ApiConnectionError>|null, answer?: TransportAnswer) => void} TransportCallback
 */

/**
 * Sends one request and reads the whole answer; calls `callback` exactly once.
 * @param {TransportRequest} request
 * @param {TransportCallback} callback
 */
function send(request, callback) {
  let done = false;
  let connected = false;
  /** @type {NodeJS.Timeout|undefined} */
  let connectTimer;
  /** @type {TransportCallback} */
  const finish = (error, answer) => {
    if (!done) {
      done = true;
      if (connectTimer !== undefined) {
        clearTimeout(connectTimer);
      }
      callback(error, answer);
    }
  };
  const options = {
    protocol: request.protocol,
    hostname: request.hostname,
    port: request.port,
    path: request.path,
    method: request.method,
    headers: request.headers,
    agent: request.agent,
    ...request.tls,
  };
  /** @type {http.ClientRequest} */
  let req;
  try {
    req = (request.protocol === 'https:' ? https : http).request(/** @type {any} */ (options));
  } catch (error) {
    process.nextTick(finish, failure(request, error, false));
    return;
  }
  req.on('socket', (socket) => {
    if (!socket.connecting) {
      connected = true; // a kept-alive connection
      return;
    }
    connectTimer = setTimeout(() => {
      req.destroy(new ApiTimeoutError(`timed out connecting for ${request.where}`, { connected: false, code: 'ETIMEDOUT' }));
    }, request.timeout.connect);
    socket.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      connectTimer = undefined;
    });
  });
  req.setTimeout(request.timeout.read, () => {
    req.destroy(new ApiTimeoutError(`timed out waiting for the answer to ${request.where}`, { connected: true, code: 'ETIMEDOUT' }));
  });
  req.on('error', (error) => finish(failure(request, error, connected)));
  req.on('response', (res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    res.on('data', (chunk) => {
      size += chunk.length;
      if (size > request.maxResponseBytes) {
        finish(null, { status: res.statusCode || 0, statusText: res.statusMessage || '', headers: res.headers, body: null, tooLarge: true });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.on('error', (error) => finish(failure(request, error, true)));
    res.on('end', () => {
      if (!res.complete) {
        finish(failure(request, new Error('the connection closed before the answer was complete'), true));
        return;
      }
      finish(null, {
        status: res.statusCode || 0,
        statusText: res.statusMessage || '',
        headers: res.headers,
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
      });
    });
  });
  req.end(request.payload === null ? undefined : request.payload);
}

/**
 * The ApiConnectionError for an error of Node's http layer.
 * @param {TransportRequest} request
 * @param {any} error
 * @param {boolean} connected
 * @returns {InstanceType<typeof ApiConnectionError>}
 */
function failure(request, error, connected) {
  if (error instanceof ApiConnectionError) {
    return error;
  }
  const code = error && typeof error.code === 'string' ? error.code : undefined;
  // One line: OpenSSL's messages end in a newline; its `reason` is the readable part.
  const cause = String((error && (error.reason || error.message)) || error).replace(/\s+/g, ' ').trim();
  if (!connected || (code !== undefined && NOT_CONNECTED.has(code))) {
    return new ApiConnectionError(`could not connect for ${request.where}: ${cause}`, { connected: false, code, cause: error });
  }
  if (code !== undefined && /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|EPROTO)/.test(code)) {
    return new ApiConnectionError(`TLS failed for ${request.where}: ${cause}`, { connected: true, code, cause: error });
  }
  return new ApiConnectionError(`connection failed during ${request.where}: ${cause}`, { connected: true, code, cause: error });
}

module.exports = { send };
