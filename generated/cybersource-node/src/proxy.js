'use strict';
// Proxies: the `proxy` setting, or (with `trustEnv`) the environment's HTTPS_PROXY,
// HTTP_PROXY, ALL_PROXY and NO_PROXY, read by the rules of Python's
// urllib.request.getproxies_environment and proxy_bypass_environment, as the Python
// packages read them. An http target goes to the proxy in absolute form; an https target
// through a CONNECT tunnel (TunnelAgent), so the proxy never sees its headers or body. The
// proxy's credentials (from its URL) go to it as Proxy-Authorization, and no message or
// error ever shows them.

const http = require('http');
const https = require('https');
const tls = require('tls');

const errors = require('./errors.js');
const { ApiConnectionError, ApiTimeoutError, ApiValueError, errorClassFor } = errors;

/**
 * A proxy to send through, parsed: `display` is its URL without credentials, `headers` what
 * the proxy alone gets (Proxy-Authorization, proxyHeaders), `secrets` the credentials.
 * @typedef {{display: string, protocol: string, hostname: string, port: number,
 *   headers: Object<string, string>, tls: object|null, secrets: string[],
 *   tunnel: TunnelAgent|null}} ProxyRoute
 */

/**
 * The proxies the environment names, by scheme (`https`, `http`, `all`, `no`...), as
 * Python's urllib.request.getproxies_environment reads them: `<scheme>_proxy` in any case,
 * a lower-case name winning over the others, an empty lower-case one removing the scheme;
 * and, in a CGI script (REQUEST_METHOD set), no HTTP_PROXY that is not all lower case, as
 * a client's `Proxy:` header can set it.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Object<string, string>}
 */
function environmentProxies(env) {
  /** @type {Object<string, string>} */
  const proxies = {};
  const names = Object.keys(env).filter((name) => name.length > 6 && name.slice(-6).toLowerCase() === '_proxy');
  if (names.length === 0) {
    return proxies; // the common case
  }
  for (const name of names) {
    const value = env[name];
    if (value) {
      proxies[name.slice(0, -6).toLowerCase()] = value;
    }
  }
  if (env.REQUEST_METHOD !== undefined) {
    delete proxies.http;
  }
  for (const name of names) {
    if (name.slice(-6) === '_proxy') {
      const value = env[name];
      const scheme = name.slice(0, -6).toLowerCase();
      if (value) {
        proxies[scheme] = value;
      } else {
        delete proxies[scheme];
      }
    }
  }
  return proxies;
}

/**
 * Whether NO_PROXY says to reach `netloc` (`host` or `host:port`, as the URL writes it)
 * directly, by the rules of Python's proxy_bypass_environment: `*` alone bypasses every
 * host; otherwise each comma-separated name (leading dots ignored, any case) matches the
 * host, or host:port, itself or as a domain suffix.
 * @param {string} netloc
 * @param {string|undefined} noProxy
 * @returns {boolean}
 */
function bypassed(netloc, noProxy) {
  if (noProxy === undefined) {
    return false;
  }
  if (noProxy === '*') {
    return true;
  }
  const host = netloc.toLowerCase();
  const port = /^(.*):([0-9]*)$/s.exec(host);
  const hostOnly = port && port[2] ? port[1] : host;
  for (const entry of noProxy.split(',')) {
    const name = entry.trim().replace(/^\.+/, '').toLowerCase();
    if (name === '') {
      continue;
    }
    if (hostOnly === name || host === name || hostOnly.endsWith(`.${name}`) || host.endsWith(`.${name}`)) {
      return true;
    }
  }
  return false;
}

/**
 * The environment's proxy for a target, or null: none for its scheme (nor `all`), or
 * NO_PROXY lists its host.
 * @param {string} scheme `http` or `https`.
 * @param {string} netloc The target's host[:port] as its URL writes it.
 * @param {Object<string, string>} proxies From environmentProxies.
 * @returns {string|null}
 */
function environmentProxyFor(scheme, netloc, proxies) {
  const proxy = proxies[scheme] || proxies.all;
  if (!proxy || bypassed(netloc, proxies.no)) {
    return null;
  }
  return proxy;
}

/**
 * The route through a proxy: parseProxy's, with the agent that opens its tunnels.
 * @param {string} url
 * @param {Object<string, string>|undefined} proxyHeaders
 * @param {object} proxyTls TLS options for an https proxy (ca, rejectUnauthorized).
 * @param {string} name What the URL was given as, for messages.
 * @returns {ProxyRoute}
 */
function proxyRoute(url, proxyHeaders, proxyTls, name) {
  const route = parseProxy(url, proxyHeaders, proxyTls, name);
  route.tunnel = new TunnelAgent(route);
  return route;
}

/**
 * A proxy URL (`http://user:password@host:port`; `http://` when it names no scheme) parsed
 * into a route without its tunnel agent. Credentials, percent-encoded in the URL, become a
 * Basic Proxy-Authorization (unless `proxyHeaders` has one). Throws ApiValueError naming
 * `name`, never the URL.
 * @param {string} url
 * @param {Object<string, string>|undefined} proxyHeaders
 * @param {object} proxyTls TLS options for an https proxy (ca, rejectUnauthorized).
 * @param {string} name What the URL was given as, for messages.
 * @returns {ProxyRoute}
 */
function parseProxy(url, proxyHeaders, proxyTls, name) {
  let parsed;
  try {
    parsed = new URL(url.includes('://') ? url : `http://${url}`);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    throw new ApiValueError(`${name} must be an http:// or https:// proxy URL (http://user:password@host:port)`);
  }
  /** @type {Object<string, string>} */
  const headers = {};
  const secrets = [];
  for (const [header, value] of Object.entries(proxyHeaders || {})) {
    headers[header] = checkHeader(value, `proxyHeaders['${header}']`);
  }
  const hasAuthorization = Object.keys(headers).some((header) => header.toLowerCase() === 'proxy-authorization');
  if ((parsed.username !== '' || parsed.password !== '') && !hasAuthorization) {
    const user = decode(parsed.username, name);
    const password = decode(parsed.password, name);
    const pair = `${user}:${password}`;
    if (/[^\x00-\xff]/.test(pair)) {
      throw new ApiValueError(`the credentials of ${name} must be Latin-1 text (as percent-encoded UTF-8 they are sent as its bytes)`);
    }
    const basic = Buffer.from(pair, 'latin1').toString('base64');
    headers['Proxy-Authorization'] = `Basic ${basic}`;
    secrets.push(basic, password, parsed.password);
  }
  const secure = parsed.protocol === 'https:';
  const port = parsed.port === '' ? (secure ? 443 : 80) : Number(parsed.port);
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    display: `${parsed.protocol}//${parsed.host}`,
    protocol: parsed.protocol,
    hostname,
    port,
    headers,
    tls: secure ? proxyTls : null,
    secrets,
    tunnel: null,
  };
}

/**
 * @param {string} text
 * @param {string} name
 * @returns {string}
 */
function decode(text, name) {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ApiValueError(`the credentials of ${name} are not valid percent-encoded text`);
  }
}

/**
 * @param {unknown} value
 * @param {string} where
 * @returns {string}
 */
function checkHeader(value, where) {
  if (typeof value !== 'string' || !/^[\t\x20-\x7e]*$/.test(value)) {
    throw new ApiValueError(`Invalid value for ${where}: a header holds only printable ASCII (no CR, LF or control)`);
  }
  return value;
}

/**
 * An https.Agent whose connections are CONNECT tunnels through one proxy, TLS to the target
 * inside; idle tunnels are kept for the next request to the same target.
 */
class TunnelAgent extends https.Agent {
  /** @param {ProxyRoute} route */
  constructor(route) {
    super({ keepAlive: true });
    /** @type {ProxyRoute} */
    this.route = route;
  }

  /**
   * Opens the tunnel, then TLS to the target through it.
   * @param {any} options The request's options: host, port, TLS options; tunnelTimeout (ms).
   * @param {(error: Error|null, socket?: import('net').Socket) => void} callback
   * @returns {undefined}
   */
  // @ts-ignore -- https.Agent declares only the synchronous form; Node takes a callback too
  createConnection(options, callback) {
    const route = this.route;
    const port = Number(options.port) || 443;
    const host = String(options.host || 'localhost');
    const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const connect = (route.protocol === 'https:' ? https : http).request({
      host: route.hostname,
      port: route.port,
      method: 'CONNECT',
      path: target,
      headers: { Host: target, ...route.headers },
      agent: false,
      ...route.tls,
    });
    let done = false;
    /** @type {(error: Error|null, socket?: import('net').Socket) => void} */
    const finish = (error, socket) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        callback(error, socket);
      }
    };
    const limit = options.tunnelTimeout;
    const timer = Number.isFinite(limit) && limit > 0
      ? setTimeout(() => connect.destroy(new ApiTimeoutError(`timed out opening a tunnel to ${target} through the proxy ${route.display}`, { connected: false, code: 'ETIMEDOUT' })), limit)
      : undefined;
    connect.once('connect', (res, socket, head) => tunnelled(route, target, options, { res, socket, head }, finish));
    connect.once('error', (error) => {
      finish(error instanceof ApiConnectionError ? error : new ApiConnectionError(
        `could not open a tunnel to ${target} through the proxy ${route.display}: ${String(/** @type {any} */ (error).message || error).replace(/\s+/g, ' ').trim()}`,
        { connected: false, code: /** @type {any} */ (error).code, cause: error },
      ));
    });
    connect.end();
    return undefined;
  }
}

/**
 * Finishes opening a tunnel once the proxy answered CONNECT: TLS to the target through it,
 * or the error of the status the proxy refused it with.
 * @param {ProxyRoute} route
 * @param {string} target host:port of the target.
 * @param {any} options The request's options: host, port, TLS options.
 * @param {{res: import('http').IncomingMessage, socket: import('net').Socket, head: Buffer}} answer
 * @param {(error: Error|null, socket?: import('net').Socket) => void} finish
 */
function tunnelled(route, target, options, answer, finish) {
  const { res, socket, head } = answer;
  const status = res.statusCode || 0;
  if (status < 200 || status >= 300) {
    socket.destroy();
    // The proxy answered: no retry helps (407: it wants other credentials).
    const reason = (res.statusMessage || '').replace(/\s+/g, ' ').trim();
    const Refusal = errorClassFor(status);
    finish(new Refusal(`the proxy ${route.display} refused the tunnel to ${target}: HTTP ${status}${reason ? ` ${reason}` : ''}`, {
      status, statusText: reason, headers: res.headers,
    }));
    return;
  }
  if (head && head.length) {
    socket.unshift(head);
  }
  const secure = tls.connect({ ...options, socket });
  // The tunnel's socket is what keeps the process alive: it follows the TLS socket's ref.
  secure.unref = () => {
    socket.unref();
    return secure;
  };
  secure.ref = () => {
    socket.ref();
    return secure;
  };
  finish(null, secure);
}

module.exports = { environmentProxies, environmentProxyFor, parseProxy, proxyRoute };
