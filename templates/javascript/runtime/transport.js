'use strict';
// The default transport: one request over node:http or node:https, the whole answer read
// into a Buffer. It never retries (the client decides) and turns every failure into an
// ApiConnectionError that says whether a connection was made, or a MalformedResponseError
// when what came back is not HTTP.
//
// A transport is a function (request, callback): `request` is what ApiClient builds
// ({protocol, hostname, port, path, method, headers, payload, agent, tls, proxy, timeout:
// {connect, read} in ms, maxResponseBytes, where}) and `callback(error, answer)` gets one
// of those errors, or {status, statusText, headers, body} (body null and tooLarge true
// when the answer passed maxResponseBytes). ApiClient takes another one as its
// `transport` option.
//
// With a `proxy` (proxy.js), an http request goes to the proxy with its absolute URL and
// the proxy's headers; an https request through a CONNECT tunnel (the proxy's agent). A
// proxy refusing the tunnel gives the ApiError of its status (407...), not retried.

const http = require('http');
const https = require('https');

const { ApiConnectionError, ApiError, ApiTimeoutError, MalformedResponseError } = require('./errors.js');

/** Error codes of a connection that could not be made: the server saw nothing. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EHOSTUNREACH', 'ENETUNREACH',
  'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL',
]);

/**
 * @typedef {import('./proxy').ProxyRoute} ProxyRoute
 * @typedef {{protocol: string, hostname: string, port: string, path: string, method: string,
 *   headers: Object<string, string>, payload: Buffer|null, agent?: object,
 *   tls: object|null, proxy?: ProxyRoute|null, timeout: {connect: number, read: number},
 *   maxResponseBytes: number, where: string}} TransportRequest
 * @typedef {{status: number, statusText: string, headers: Object<string, string|string[]|undefined>,
 *   body: Buffer|null, tooLarge?: boolean}} TransportAnswer
 * @typedef {(error: InstanceType<typeof ApiError>|null, answer?: TransportAnswer) => void} TransportCallback
 */

/**
 * Sends one request and reads the whole answer; calls `callback` exactly once.
 * @param {TransportRequest} request
 * @param {TransportCallback} callback
 */
function send(request, callback) {
  let done = false;
  // Watched until the answer is complete: first the connect timeout, then the read timeout,
  // counted from the connection and from each chunk of the answer.
  const watch = { since: now(), limit: request.timeout.connect, connected: false, expire: () => {} };
  /** @type {TransportCallback} */
  const finish = (error, answer) => {
    if (!done) {
      done = true;
      unwatch(watch);
      callback(error, answer);
    }
  };
  const proxy = request.proxy;
  const options = proxy && request.protocol === 'http:'
    ? forwarded(request, proxy)
    : {
      protocol: request.protocol,
      hostname: request.hostname,
      port: request.port,
      path: request.path,
      method: request.method,
      headers: request.headers,
      agent: proxy ? proxy.tunnel : request.agent,
      ...(proxy ? { tunnelTimeout: request.timeout.connect } : null),
      ...request.tls,
    };
  /** @type {http.ClientRequest} */
  let req;
  try {
    req = (options.protocol === 'https:' ? https : http).request(/** @type {any} */ (options));
  } catch (error) {
    process.nextTick(finish, failure(request, error, false));
    return;
  }
  const connect = () => {
    watch.connected = true;
    watch.since = now();
    watch.limit = request.timeout.read;
  };
  watch.expire = () => {
    req.destroy(watch.connected
      ? new ApiTimeoutError(`timed out waiting for the answer to ${request.where}`, { connected: true, code: 'ETIMEDOUT' })
      : new ApiTimeoutError(`timed out connecting for ${request.where}`, { connected: false, code: 'ETIMEDOUT' }));
  };
  watchRequest(watch);
  req.on('socket', (socket) => {
    if (socket.connecting) {
      socket.once('connect', connect);
    } else {
      connect(); // a kept-alive connection
    }
  });
  req.on('error', (error) => finish(failure(request, error, watch.connected)));
  req.on('response', (res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    watch.since = now();
    res.on('data', (chunk) => {
      watch.since = now();
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
 * The options of an http request sent to a proxy: the target's absolute URL as the path,
 * its Host, and the proxy's own headers (Proxy-Authorization...).
 * @param {TransportRequest} request
 * @param {ProxyRoute} proxy
 * @returns {{protocol: string, hostname: string, port: number, path: string, method: string,
 *   headers: Object<string, string>}}
 */
function forwarded(request, proxy) {
  const host = `${request.hostname.includes(':') ? `[${request.hostname}]` : request.hostname}${request.port ? `:${request.port}` : ''}`;
  return {
    protocol: proxy.protocol,
    hostname: proxy.hostname,
    port: proxy.port,
    path: `http://${host}${request.path}`,
    method: request.method,
    headers: { ...request.headers, Host: host, ...proxy.headers },
    ...proxy.tls,
  };
}

// One timer for every request in flight, rather than one or two per request: each tick
// expires the requests idle for longer than their limit. It ticks at an eighth of the
// smallest limit (5 ms to 1 s), so a limit is honoured to within an eighth of itself (at
// most a second late), as timers are anyway. It keeps the process alive only while a
// request is in flight, and stops at the first tick with none, so that back-to-back calls
// share it.

/** @typedef {{since: number, limit: number, connected: boolean, expire: () => void}} Watch */

/** @type {Set<Watch>} */
const watched = new Set();
/** @type {NodeJS.Timeout|undefined} */
let ticker;
let period = Infinity;

/** @returns {number} Milliseconds, monotonic. */
function now() {
  return performance.now();
}

/** @param {Watch} watch */
function watchRequest(watch) {
  watched.add(watch);
  const wanted = Math.min(1000, Math.max(5, watch.limit / 8)); // 1 s for no limit (Infinity)
  if (ticker === undefined || wanted < period) {
    if (ticker !== undefined) {
      clearInterval(ticker);
    }
    period = wanted;
    ticker = setInterval(tick, period);
  } else if (watched.size === 1) {
    ticker.ref();
  }
}

/** @param {Watch} watch */
function unwatch(watch) {
  watched.delete(watch);
  if (watched.size === 0 && ticker !== undefined) {
    ticker.unref();
  }
}

function tick() {
  if (watched.size === 0) {
    clearInterval(ticker);
    ticker = undefined;
    period = Infinity;
    return;
  }
  const time = now();
  for (const watch of watched) {
    if (time - watch.since >= watch.limit) {
      unwatch(watch);
      watch.expire();
    }
  }
}

/**
 * The ApiConnectionError for an error of Node's http layer (a MalformedResponseError when
 * what came back is not HTTP).
 * @param {TransportRequest} request
 * @param {any} error
 * @param {boolean} connected
 * @returns {InstanceType<typeof ApiError>}
 */
function failure(request, error, connected) {
  if (error instanceof ApiError) {
    return error; // ours: a timeout, or the proxy's tunnel failed or was refused
  }
  const code = error && typeof error.code === 'string' ? error.code : undefined;
  // One line: OpenSSL's messages end in a newline; its `reason` is the readable part.
  const cause = String((error && (error.reason || error.message)) || error).replace(/\s+/g, ' ').trim();
  if (!connected || (code !== undefined && NOT_CONNECTED.has(code))) {
    const through = request.proxy ? ` to the proxy ${request.proxy.display}` : '';
    return new ApiConnectionError(`could not connect${through} for ${request.where}: ${cause}`, { connected: false, code, cause: error });
  }
  if (code !== undefined && code.startsWith('HPE_')) {
    // Delivered, but not HTTP: a garbage status line, too many or too long headers.
    return new MalformedResponseError(`the answer to ${request.where} is not valid HTTP (${code}): ${cause}`, { status: 0 });
  }
  if (code !== undefined && /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|EPROTO)/.test(code)) {
    return new ApiConnectionError(`TLS failed for ${request.where}: ${cause}`, { connected: true, code, cause: error });
  }
  return new ApiConnectionError(`connection failed during ${request.where}: ${cause}`, { connected: true, code, cause: error });
}

module.exports = { send };
