'use strict';
// The settings of an ApiClient, like the Python packages' _configuration.py: the options
// `new ApiClient({...})` takes, their defaults and checks (a bad one throws before anything
// is sent), the host (basePath, a server of the spec by name or index, or the host
// variable), and what is derived from them: the parts of basePath, the timeout limits.
//
// What depends on the spec comes from the generated subclass: `settings` ({hostVariable,
// userAgent, servers: [{url, name, description}], securitySchemes: [{name, kind, where,
// param}]}) on the ApiClient class.

const { ApiTypeError, ApiValueError } = require('./errors.js');
const { environmentProxies, parseProxy } = require('./proxy.js');
const { formDecode } = require('./secrets.js');
const { send } = require('./transport.js');

/**
 * @typedef {import('./transport').TransportRequest} TransportRequest
 * @typedef {import('./transport').TransportAnswer} TransportAnswer
 * @typedef {import('./proxy').ProxyRoute} ProxyRoute
 * @typedef {{url: string, name?: string, description?: string}} Server
 * @typedef {{name: string, kind: 'apiKey'|'bearer'|'basic', where: 'header'|'query'|'cookie', param: string}} SecurityScheme
 * @typedef {{hostVariable?: string, userAgent?: string, servers: readonly Server[],
 *   securitySchemes?: readonly SecurityScheme[]}} Settings
 * @typedef {{getToken: () => Promise<string>, invalidate: (token?: string) => void}} TokenSource
 * @typedef {{source: string, protocol: string, hostname: string, port: string, prefix: string,
 *   netloc: string, userinfo: string[], given: string}} Base
 */

const DEFAULT_TIMEOUT = Object.freeze({ connect: 10000, read: 30000 });
const MiB = 1024 * 1024;

/**
 * The options `new ApiClient({...})` takes, and their defaults: the one list of them
 * (tests/node/runtime/configuration.test.js holds index.d.ts and the README to it).
 */
const OPTIONS = Object.freeze({
  basePath: undefined,
  server: undefined,
  timeout: DEFAULT_TIMEOUT,
  retries: 2,
  retryAfterCap: 60,
  backoffFactor: 0.5,
  maxResponseBytes: MiB,
  apiKey: undefined,
  apiKeyPrefix: undefined,
  accessToken: undefined,
  username: undefined,
  password: undefined,
  tokenManager: undefined,
  proxy: undefined,
  proxyHeaders: undefined,
  trustEnv: true,
  agent: undefined,
  certFile: undefined,
  keyFile: undefined,
  caFile: undefined,
  passphrase: undefined,
  rejectUnauthorized: true,
  defaultHeaders: undefined,
  logger: undefined,
  strictResponses: false,
  transport: undefined,
  sleep: undefined,
  random: undefined,
  now: undefined,
});

/**
 * The settings of a new ApiClient from its options, each checked, in the order they are
 * checked (the first bad one throws), and the caches of what is derived from them; the
 * client copies them onto itself in this order (the order util.inspect shows).
 * @param {string|object|undefined} options The base URL, or the options.
 * @param {Settings} settings What the spec says: servers, user agent, host variable, schemes.
 */
function readSettings(options, settings) {
  const given = checkOptions(options);
  const option = (/** @type {string} */ key) => (given[key] === undefined ? /** @type {any} */ (OPTIONS)[key] : given[key]);
  return {
    /** @type {string} The URL the operation paths are appended to. */
    basePath: given.basePath !== undefined
      ? checkUrl(given.basePath, 'basePath')
      : given.server !== undefined ? serverUrl(settings, given.server, 'server') : defaultHost(settings),
    /** @type {Object<string, string>} Headers sent with every request. */
    defaultHeaders: { 'User-Agent': settings.userAgent || 'Node.js', ...option('defaultHeaders') },
    ...limitSettings(option),
    ...credentialSettings(option, settings),
    ...routeSettings(option),
    ...tlsSettings(option),
    ...hookSettings(option),
    /** @type {Base|undefined} */
    parsedBase: undefined,
    /** @type {{key: string, options: object}|undefined} */
    tlsCache: undefined,
    /** @type {Object<string, string>} The proxy variables of the environment when the client was made. */
    environment: environmentProxies(process.env),
    /** @type {{base: Base, proxy: unknown, trustEnv: unknown, agent: unknown, proxyHeaders: unknown,
     *   caFile: unknown, rejectUnauthorized: unknown, route: ProxyRoute|null}|undefined} The route of the last call. */
    routeCache: undefined,
  };
}

/** The settings that stay out of console output: credentials, and key material read from keyFile. */
const HIDDEN_SETTINGS = Object.freeze([
  'passphrase', 'tlsCache', 'apiKey', 'accessToken', 'password', 'tokenManager', 'proxy', 'proxyHeaders',
  'environment', 'routeCache', 'parsedBase',
]);

/**
 * The options as an object whose every key is an option of ApiClient.
 * @param {unknown} options
 * @returns {Object<string, any>}
 */
function checkOptions(options) {
  const given = /** @type {Object<string, any>} */ (typeof options === 'string' ? { basePath: options } : options || {});
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new ApiTypeError('ApiClient takes a base URL or an object of options');
  }
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(OPTIONS, key)) {
      throw new ApiTypeError(`ApiClient has no option '${key}'; it takes ${Object.keys(OPTIONS).join(', ')}`);
    }
  }
  if (given.basePath !== undefined && given.server !== undefined) {
    throw new ApiValueError('Give ApiClient a basePath or a server, not both');
  }
  return given;
}

/** @typedef {(key: string) => any} Option An option as given, or its default. */

/** @param {Option} option */
function limitSettings(option) {
  return {
    /** @type {number|{connect: number, read: number}} Milliseconds. */
    timeout: checkTimeout(option('timeout')),
    /** @type {number} */
    retries: checkNumber(option('retries'), 'retries', true),
    /** @type {number} Seconds: the longest Retry-After honoured. */
    retryAfterCap: checkNumber(option('retryAfterCap'), 'retryAfterCap', false),
    /** @type {number} Seconds: the first backoff ceiling, doubled on each retry. */
    backoffFactor: checkNumber(option('backoffFactor'), 'backoffFactor', false),
    /** @type {number} */
    maxResponseBytes: checkNumber(option('maxResponseBytes'), 'maxResponseBytes', true),
    /** @type {boolean} Refuse answers that break only a facet of the spec (enum, pattern...). */
    strictResponses: checkFlag(option('strictResponses'), 'strictResponses'),
  };
}

/**
 * @param {unknown} value
 * @param {string} name
 * @returns {boolean}
 */
function checkFlag(value, name) {
  if (typeof value !== 'boolean') {
    throw new ApiTypeError(`${name} must be true or false`);
  }
  return value;
}

/**
 * @param {Option} option
 * @param {Settings} settings
 */
function credentialSettings(option, settings) {
  return {
    /** @type {Object<string, string>} API keys by security scheme name. */
    apiKey: checkTexts(option('apiKey'), 'apiKey', schemeNames(settings, 'apiKey')),
    /** @type {Object<string, string>} The prefix sent before each API key, by security scheme name. */
    apiKeyPrefix: checkTexts(option('apiKeyPrefix'), 'apiKeyPrefix', schemeNames(settings, 'apiKey')),
    /** @type {string|undefined} OAuth 2.0 / bearer access token, sent as `Authorization: Bearer`. */
    accessToken: checkText(option('accessToken'), 'accessToken'),
    /** @type {string|undefined} User name for HTTP Basic. */
    username: checkText(option('username'), 'username'),
    /** @type {string|undefined} Password for HTTP Basic. */
    password: checkText(option('password'), 'password'),
    /** @type {TokenSource|undefined} Supplies the bearer token; a 401 makes it fetch a new one. */
    tokenManager: checkTokenSource(option('tokenManager')),
  };
}

/** @param {Option} option */
function routeSettings(option) {
  const route = {
    /** @type {string|undefined} http://user:password@host:port of a proxy for every request. */
    proxy: checkText(option('proxy'), 'proxy'),
    /** @type {Object<string, string>} More headers for the proxy alone. */
    proxyHeaders: checkTexts(option('proxyHeaders'), 'proxyHeaders', null),
    /** @type {boolean} Without proxy (and agent), use the proxy the environment names. */
    trustEnv: option('trustEnv') !== false,
    /** @type {object|undefined} An http.Agent or https.Agent: sockets, TLS; it decides the route itself. */
    agent: option('agent'),
  };
  if (route.proxy && route.agent) {
    throw new ApiValueError('Give ApiClient a proxy or an agent, not both');
  }
  if (route.proxy) {
    parseProxy(route.proxy, route.proxyHeaders, {}, 'proxy'); // a bad URL is refused now
  }
  return route;
}

/** @param {Option} option */
function tlsSettings(option) {
  return {
    /** @type {string|undefined} Client certificate file (PEM), for mutual TLS. */
    certFile: option('certFile'),
    /** @type {string|undefined} Its private key file (PEM). */
    keyFile: option('keyFile'),
    /** @type {string|undefined} CA certificates (PEM) to verify the server with. */
    caFile: option('caFile'),
    /** @type {string|undefined} The passphrase of keyFile. */
    passphrase: option('passphrase'),
    /** @type {boolean} */
    rejectUnauthorized: option('rejectUnauthorized') !== false,
  };
}

/** @param {Option} option */
function hookSettings(option) {
  return {
    /** @type {{info: (message: string) => void, warn?: (message: string) => void}|undefined} */
    logger: option('logger'),
    /** @type {(request: TransportRequest, callback: (error: any, answer?: TransportAnswer) => void) => void} */
    transport: option('transport') || send,
    /** @type {(seconds: number) => Promise<void>} */
    sleep: option('sleep') || sleep,
    /** @type {() => number} */
    random: option('random') || Math.random,
    /** @type {() => number} */
    now: option('now') || Date.now,
  };
}

/**
 * The parts of a client's basePath, parsed once for each value it takes; `netloc` is its
 * host[:port] as written (what NO_PROXY is matched against); `source` is basePath as
 * messages show it, without user information (user:password@), whose parts are in
 * `userinfo` for redaction.
 * @param {{basePath: string, parsedBase: Base|undefined}} client
 * @returns {Base}
 */
function baseOf(client) {
  const source = client.basePath;
  if (client.parsedBase === undefined || client.parsedBase.given !== source) {
    const url = new URL(checkUrl(source, 'basePath'));
    const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(source);
    const userinfo = [url.password, formDecode(url.password)].filter(Boolean);
    client.parsedBase = {
      given: source,
      source: withoutUserinfo(source).replace(/\/+$/, ''),
      userinfo,
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      prefix: url.pathname.replace(/\/+$/, ''),
      netloc: authority ? authority[1].slice(authority[1].lastIndexOf('@') + 1) : url.host,
    };
  }
  return client.parsedBase;
}

/**
 * A URL without its user information (`user:password@`), as messages show it.
 * @param {string} url
 * @returns {string}
 */
function withoutUserinfo(url) {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1');
}

/**
 * @param {unknown} value
 * @param {string} name
 * @returns {string}
 */
function checkUrl(value, name) {
  let url;
  try {
    url = new URL(/** @type {string} */ (value));
  } catch {
    url = undefined;
  }
  if (typeof value !== 'string' || url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ApiValueError(`${name} must be an http or https URL`);
  }
  return value;
}

/**
 * The URL of a server of the spec, by name or index.
 * @param {Settings} settings
 * @param {unknown} server
 * @param {string} name What the value was given as, for the message.
 * @returns {string}
 */
function serverUrl(settings, server, name) {
  const servers = settings.servers;
  const names = servers.map((entry, index) => (entry.name ? `'${entry.name}'` : String(index))).join(', ');
  if (typeof server === 'number' && Number.isInteger(server) && server >= 0 && server < servers.length) {
    return servers[server].url;
  }
  const found = servers.find((entry) => typeof server === 'string' && entry.name === server);
  if (found === undefined) {
    throw new ApiValueError(`${name} must be one of the servers of the spec (${names}) or an index below ${servers.length}`);
  }
  return found.url;
}

/**
 * The host of a client given none: the host variable (a URL or a server name) if set,
 * else the first server of the spec.
 * @param {Settings} settings
 * @returns {string}
 */
function defaultHost(settings) {
  const variable = settings.hostVariable;
  const value = variable ? process.env[variable] : undefined;
  if (value === undefined || value === '') {
    if (settings.servers.length === 0) {
      throw new ApiValueError('The spec has no servers: give ApiClient a basePath');
    }
    return settings.servers[0].url;
  }
  if (/^https?:\/\//i.test(value)) {
    return checkUrl(value, /** @type {string} */ (variable));
  }
  return serverUrl(settings, value, /** @type {string} */ (variable));
}

/**
 * @param {unknown} value
 * @returns {number|{connect: number, read: number}}
 */
function checkTimeout(value) {
  const valid = (/** @type {unknown} */ ms) => typeof ms === 'number' && ms >= 0 && !Number.isNaN(ms);
  if (valid(value)) {
    return /** @type {number} */ (value);
  }
  const pair = /** @type {any} */ (value);
  if (pair && typeof pair === 'object' && valid(pair.connect) && valid(pair.read) && Object.keys(pair).length === 2) {
    return { connect: pair.connect, read: pair.read };
  }
  throw new ApiValueError('timeout must be milliseconds (0 for none), or {connect, read} in milliseconds');
}

/**
 * The connect and read limits of a timeout setting, in milliseconds; 0 is no limit.
 * @param {number|{connect: number, read: number}} timeout
 * @returns {{connect: number, read: number}}
 */
function limits(timeout) {
  if (typeof timeout === 'number') {
    return timeout > 0 ? { connect: timeout, read: timeout } : NO_LIMITS;
  }
  if (timeout.connect > 0 && timeout.read > 0) {
    return timeout;
  }
  return { connect: timeout.connect > 0 ? timeout.connect : Infinity, read: timeout.read > 0 ? timeout.read : Infinity };
}

const NO_LIMITS = Object.freeze({ connect: Infinity, read: Infinity });

/**
 * @param {unknown} value
 * @param {string} name
 * @param {boolean} integer
 * @returns {number}
 */
function checkNumber(value, name, integer) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new ApiValueError(`${name} must be ${integer ? 'an integer' : 'a number'} of at least 0`);
  }
  return value;
}

/**
 * An optional text setting: undefined when not given.
 * @param {unknown} value
 * @param {string} name
 * @returns {string|undefined}
 */
function checkText(value, name) {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new ApiTypeError(`${name} must be a string`);
  }
  return value;
}

/**
 * An object of texts (a copy), its keys among `allowed` when given.
 * @param {unknown} value
 * @param {string} name
 * @param {string[]|null} allowed
 * @returns {Object<string, string>}
 */
function checkTexts(value, name, allowed) {
  if (value === undefined || value === null) {
    return {};
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiTypeError(`${name} must be an object of strings${allowed ? ' by security scheme name' : ''}`);
  }
  /** @type {Object<string, string>} */
  const copy = {};
  for (const [key, text] of Object.entries(value)) {
    if (allowed !== null && !allowed.includes(key)) {
      const known = allowed.length ? `its schemes are ${allowed.map((scheme) => `'${scheme}'`).join(', ')}` : 'it has none';
      throw new ApiValueError(`${name} names '${key}', which is not an API key security scheme of the spec (${known})`);
    }
    if (typeof text !== 'string') {
      throw new ApiTypeError(`${name}['${key}'] must be a string`);
    }
    copy[key] = text;
  }
  return copy;
}

/**
 * @param {unknown} value
 * @returns {TokenSource|undefined}
 */
function checkTokenSource(value) {
  if (value === undefined || value === null) {
    return undefined;
  }
  const source = /** @type {any} */ (value);
  if (typeof source !== 'object' || typeof source.getToken !== 'function' || typeof source.invalidate !== 'function') {
    throw new ApiTypeError('tokenManager must have getToken() and invalidate(token), as a TokenManager has');
  }
  return source;
}

/**
 * The names of the spec's security schemes of one kind.
 * @param {Settings} settings
 * @param {string} kind
 * @returns {string[]}
 */
function schemeNames(settings, kind) {
  return (settings.securitySchemes || []).filter((scheme) => scheme.kind === kind).map((scheme) => scheme.name);
}

/**
 * @param {number} seconds
 * @returns {Promise<void>}
 */
function sleep(seconds) {
  return new Promise((resolve) => {
    setTimeout(resolve, seconds * 1000);
  });
}

module.exports = {
  HIDDEN_SETTINGS,
  OPTIONS,
  baseOf,
  limits,
  readSettings,
  serverUrl,
  withoutUserinfo,
};
