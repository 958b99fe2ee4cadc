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
//
// Where a request goes and with which TLS is decided here too, from the client's settings,
// as the Python packages' rest.py decides it: directly, through `proxy`, or (with
// trustEnv) through the proxy the environment names; the client certificate and CA files
// read once for each set of paths.

const fs = require('fs');
const http = require('http');
const https = require('https');

const { ApiConnectionError, ApiError, ApiTimeoutError, ApiValueError, MalformedResponseError } = require('./errors.js');
const { environmentProxyFor, proxyRoute } = require('./proxy.js');

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
  /** @type {Watch} */
  const watch = { since: now(), limit: request.timeout.connect, connected: false, expire: () => {} };
  /** @type {TransportCallback} */
  const finish = (error, answer) => {
    if (!done) {
      done = true;
      unwatch(watch);
      callback(error, answer);
    }
  };
  const options = nodeOptions(request);
  /** @type {http.ClientRequest} */
  let req;
  try {
    req = (options.protocol === 'https:' ? https : http).request(/** @type {any} */ (options));
  } catch (error) {
    process.nextTick(finish, failure(request, error, false));
    return;
  }
  watch.expire = () => {
    req.destroy(watch.connected
      ? new ApiTimeoutError(`timed out waiting for the answer to ${request.where}`, { connected: true, code: 'ETIMEDOUT' })
      : new ApiTimeoutError(`timed out connecting for ${request.where}`, { connected: false, code: 'ETIMEDOUT' }));
  };
  watchRequest(watch);
  req.on('socket', (socket) => {
    if (socket.connecting) {
      socket.once('connect', () => connected(watch, request));
    } else {
      connected(watch, request); // a kept-alive connection
    }
  });
  req.on('error', (error) => finish(failure(request, error, watch.connected)));
  req.on('response', (res) => receive(request, req, res, watch, finish));
  req.end(request.payload === null ? undefined : request.payload);
}

/**
 * The options of Node's http(s).request for a request: to the proxy for an http target
 * through a proxy, else to the target (through the proxy's tunnel agent, if any).
 * @param {TransportRequest} request
 * @returns {Object<string, any>}
 */
function nodeOptions(request) {
  const proxy = request.proxy;
  if (proxy && request.protocol === 'http:') {
    return forwarded(request, proxy);
  }
  return {
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
}

/**
 * A request's connection is made: from now on the read timeout counts.
 * @param {Watch} watch
 * @param {TransportRequest} request
 */
function connected(watch, request) {
  watch.connected = true;
  watch.since = now();
  watch.limit = request.timeout.read;
}

/**
 * Reads an answer whole (up to maxResponseBytes) and hands it to `finish`.
 * @param {TransportRequest} request
 * @param {http.ClientRequest} req
 * @param {http.IncomingMessage} res
 * @param {Watch} watch
 * @param {TransportCallback} finish
 */
function receive(request, req, res, watch, finish) {
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

/**
 * The settings of a client that decide where its requests go and with which TLS, and the
 * caches of what is derived from them.
 * @typedef {{proxy?: string, proxyHeaders: Object<string, string>, trustEnv: boolean, agent?: object,
 *   environment: Object<string, string>, certFile?: string, keyFile?: string, caFile?: string,
 *   passphrase?: string, rejectUnauthorized: boolean, tlsCache: {key: string, options: object}|undefined,
 *   routeCache: {base: Base, proxy: unknown, trustEnv: unknown, agent: unknown, proxyHeaders: unknown,
 *   caFile: unknown, rejectUnauthorized: unknown, route: ProxyRoute|null}|undefined}} Connection
 * @typedef {import('./configuration').Base} Base
 */

/**
 * The proxy requests to `base` go through, or null: `proxy`, else (with trustEnv and no
 * agent) the environment's proxy for its scheme unless NO_PROXY lists its host.
 * @param {Connection} client
 * @param {Base} base
 * @returns {ProxyRoute|null}
 */
function routeFor(client, base) {
  const cached = client.routeCache;
  if (cached !== undefined && cached.base === base && cached.proxy === client.proxy && cached.trustEnv === client.trustEnv
    && cached.agent === client.agent && cached.proxyHeaders === client.proxyHeaders && cached.caFile === client.caFile
    && cached.rejectUnauthorized === client.rejectUnauthorized) {
    return cached.route;
  }
  let url = client.proxy || null;
  let name = 'proxy';
  if (url !== null && client.agent) {
    throw new ApiValueError('Give ApiClient a proxy or an agent, not both');
  }
  if (url === null && client.trustEnv && !client.agent) {
    url = environmentProxyFor(base.protocol.slice(0, -1), base.netloc, client.environment);
    name = 'the proxy of the environment (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY)';
  }
  /** @type {ProxyRoute|null} */
  let route = null;
  if (url !== null) {
    /** @type {Object<string, unknown>} */
    const proxyTls = { rejectUnauthorized: client.rejectUnauthorized };
    if (client.caFile) {
      proxyTls.ca = readSetting(client.caFile, 'caFile');
    }
    route = proxyRoute(url, client.proxyHeaders, proxyTls, name);
  }
  client.routeCache = {
    base, proxy: client.proxy, trustEnv: client.trustEnv, agent: client.agent, proxyHeaders: client.proxyHeaders,
    caFile: client.caFile, rejectUnauthorized: client.rejectUnauthorized, route,
  };
  return route;
}

/**
 * The TLS options of https requests: the client certificate, its key and the CA files
 * read once for each set of paths. An unreadable file throws before anything is sent.
 * @param {Connection} client
 * @returns {object}
 */
function tlsOptions(client) {
  const key = JSON.stringify([client.certFile, client.keyFile, client.caFile, client.passphrase, client.rejectUnauthorized]);
  if (client.tlsCache === undefined || client.tlsCache.key !== key) {
    /** @type {Object<string, unknown>} */
    const options = { rejectUnauthorized: client.rejectUnauthorized };
    // An empty path (an unset environment variable, say) counts as none.
    if (!client.certFile !== !client.keyFile) {
      throw new ApiValueError('certFile and keyFile go together: give both for mutual TLS, or neither');
    }
    for (const [option, file] of [['cert', client.certFile], ['key', client.keyFile], ['ca', client.caFile]]) {
      if (file) {
        options[/** @type {string} */ (option)] = readSetting(/** @type {string} */ (file), `${option}File`);
      }
    }
    if (client.passphrase !== undefined) {
      options.passphrase = client.passphrase;
    }
    client.tlsCache = { key, options };
  }
  return client.tlsCache.options;
}

/**
 * @param {string} file
 * @param {string} name
 * @returns {Buffer}
 */
function readSetting(file, name) {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ApiValueError(`${name}: cannot read ${file} (${/** @type {any} */ (error).code || error})`);
  }
}

module.exports = { routeFor, send, tlsOptions };
