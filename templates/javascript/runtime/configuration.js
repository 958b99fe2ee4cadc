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
const NONE = Object.freeze({});

/**
 * How a given value (or the default) becomes a setting: the checked value, or an ApiTypeError /
 * ApiValueError that names the option and never shows its value.
 * @template T
 * @typedef {(value: any, name: string, settings: Settings, given: Object<string, any>) => T} Check
 */

/**
 * One option of `new ApiClient({...})`, declared once: the reading and checks, the hidden list,
 * and (scripts/generate.py) the package's index.d.ts ApiClientOptions and README table are derived.
 * @template {string} N
 * @template T
 * @typedef {object} Option
 * @property {N} name
 * @property {Check<T>|null} check The setting from the value; null: no setting, it only chooses another's value.
 * @property {unknown} default Taken when the option is not given.
 * @property {string} type Its TypeScript type in index.d.ts.
 * @property {string} meaning One line (Markdown): index.d.ts's doc comment and the README's Meaning.
 * @property {boolean} hidden Kept out of console output (util.inspect): credentials and key material.
 * @property {boolean} test For tests: typed, not in the README.
 * @property {string|undefined} shown The README's Default where the value depends on the package:
 *   `{hostVariable}`, `{firstServer}` and `{userAgent}` stand for those of its spec.
 */

/**
 * @template {string} N
 * @template T
 * @param {N} name
 * @param {Check<T>} check
 * @param {string} type
 * @param {{default?: unknown, hidden?: boolean, test?: boolean, shown?: string}} more
 * @param {string} meaning
 * @returns {Option<N, T>}
 */
function option(name, check, type, more, meaning) {
  return Object.freeze({ name, check, type, meaning, default: undefined, hidden: false, test: false, shown: undefined, ...more });
}

/**
 * An option that is no setting of its own: it only chooses another's value.
 * @template {string} N
 * @param {N} name
 * @param {string} type
 * @param {string} meaning
 */
function choice(name, type, meaning) {
  return Object.freeze({ ...option(name, unchecked, type, {}, meaning), check: null });
}

// The checks of OPTIONS; each is given the option's name for its messages.

/**
 * basePath if given, else the server chosen, else the default host.
 * @param {string|undefined} value @param {string} name @param {Settings} settings @param {Object<string, any>} given
 */
const hostUrl = (value, name, settings, given) => (value !== undefined
  ? checkUrl(value, name)
  : given.server !== undefined ? serverUrl(settings, given.server, 'server') : defaultHost(settings));
/** @type {Check<Object<string, string>>} */
const withUserAgent = (value, _name, settings) => ({ 'User-Agent': settings.userAgent || 'Node.js', ...value });
/** @type {Check<number>} */
const count = (value, name) => checkNumber(value, name, true);
/** @type {Check<number>} */
const seconds = (value, name) => checkNumber(value, name, false);
/** @type {Check<Object<string, string>>} */
const schemeTexts = (value, name, settings) => checkTexts(value, name, schemeNames(settings, 'apiKey'));
/** @type {Check<Object<string, string>>} */
const texts = (value, name) => checkTexts(value, name, null);
/** @type {Check<boolean>} Anything but false is true. */
const notFalse = (value) => value !== false;
/** @type {Check<string|undefined>} Taken as given (a file is read when a call needs it). */
const unchecked = (value) => value;
/**
 * @template T
 * @param {T} fallback Taken for any falsy value.
 * @returns {Check<T>}
 */
const orElse = (fallback) => (value) => value || fallback;

/**
 * The options `new ApiClient({...})` takes, in the order they are checked (the first bad one
 * throws) and the client holds them (the order util.inspect shows).
 */
const OPTIONS = Object.freeze([
  option('basePath', hostUrl, 'string', { shown: '`${hostVariable}`, else `{firstServer}`' },
    'The URL the operation paths are appended to.'),
  choice('server', 'ServerName | number',
    "One of the spec's servers, by name or index, instead of `basePath` (also `apiClient.useServer(name)`)."),
  option('defaultHeaders', withUserAgent, 'Record<string, string>', { shown: "`{'User-Agent': '{userAgent}'}`" },
    'Headers sent with every request.'),
  option('timeout', checkTimeout, 'number | Timeouts', { default: DEFAULT_TIMEOUT },
    'Milliseconds to connect, and to wait for each read once connected: `{connect, read}`, or one number for both; '
    + '`0` for no limit.'),
  option('retries', count, 'number', { default: 2 },
    'How many times a call is sent again when the server certainly did not process it; `0` for never.'),
  option('retryAfterCap', seconds, 'number', { default: 60 },
    'The longest `Retry-After` wait honoured, in seconds; a longer one fails at once with `retryAfter` set.'),
  option('backoffFactor', seconds, 'number', { default: 0.5 },
    'Seconds: retries without `Retry-After` wait a random time below `backoffFactor * 2 ** attempt`.'),
  option('maxResponseBytes', count, 'number', { default: MiB },
    'The largest answer body read; a longer one fails with `MalformedResponseError`.'),
  option('strictResponses', checkFlag, 'boolean', { default: false },
    "Refuse an answer that breaks only a facet of the spec (enum, length, pattern, range, a date's format), else "
    + 'accepted with a warning.'),
  option('apiKey', schemeTexts, 'ApiKeys', { default: NONE, hidden: true }, 'API keys by security scheme name.'),
  option('apiKeyPrefix', schemeTexts, 'ApiKeys', { default: NONE },
    "The prefix sent before each API key (`'Token'` sends `Token <key>`), by security scheme name."),
  option('accessToken', checkText, 'string', { hidden: true },
    'OAuth 2.0 or HTTP bearer access token, sent as `Authorization: Bearer <token>`.'),
  option('username', checkText, 'string', {}, 'User name for HTTP Basic.'),
  option('password', checkText, 'string', { hidden: true }, 'Password for HTTP Basic.'),
  option('tokenManager', checkTokenSource, 'TokenSource', { hidden: true },
    'A `TokenManager` (or any object with `getToken()` and `invalidate(token)`) that supplies the bearer token; '
    + 'a 401 answer makes it fetch a new one and the call is sent once more.'),
  option('proxy', checkText, 'string', { hidden: true },
    'URL of an HTTP(S) proxy for every request; `http://user:password@host:port` for one that wants credentials.'),
  option('proxyHeaders', texts, 'Record<string, string>', { default: NONE, hidden: true },
    'More headers for the proxy alone.'),
  option('trustEnv', notFalse, 'boolean', { default: true },
    'Without `proxy` (and `agent`), use the proxy that `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` name.'),
  option('agent', /** @type {Check<object|undefined>} */ (unchecked), 'object', {},
    'An `http.Agent` or `https.Agent`: keep-alive, sockets, TLS options; it decides the route itself, so it excludes '
    + "`proxy` and the environment's proxies."),
  option('certFile', unchecked, 'string', {}, 'Client certificate file (PEM), for mutual TLS.'),
  option('keyFile', unchecked, 'string', {}, 'Its private key file (PEM).'),
  option('caFile', unchecked, 'string', {}, "CA certificates file (PEM) to verify the server with, instead of Node's."),
  option('passphrase', unchecked, 'string', { hidden: true }, 'The passphrase of `keyFile`.'),
  option('rejectUnauthorized', notFalse, 'boolean', { default: true }, "Verify the server's certificate."),
  option('logger', /** @type {Check<Logger|undefined>} */ (unchecked), '{ info(message: string): void; warn?(message: string): void }', {},
    'Told about each retry (`info(message)`) and about each answer field accepted though it breaks a facet of the spec '
    + '(`warn(message)` if it has one, else a process warning, `ResponseWarning`).'),
  option('transport', orElse(send), 'Transport', { test: true }, 'For tests: what sends a request.'),
  option('sleep', orElse(sleep), '(seconds: number) => Promise<void>', { test: true },
    'For tests: the wait between retries.'),
  option('random', orElse(Math.random), '() => number', { test: true }, 'For tests: the jitter of the backoff, in [0, 1).'),
  option('now', orElse(Date.now), '() => number', { test: true },
    'For tests: milliseconds since the epoch, to read Retry-After dates.'),
]);

/**
 * @typedef {{info: (message: string) => void, warn?: (message: string) => void}} Logger
 * @typedef {typeof OPTIONS[number]} AnyOption
 * @typedef {{[O in AnyOption as O['check'] extends null ? never : O['name']]: ReturnType<NonNullable<O['check']>>}} OptionSettings
 * @typedef {OptionSettings & ReturnType<typeof derivedSettings>} ClientSettings The settings of an ApiClient.
 */

/**
 * The settings of a new ApiClient from its options, each checked, in the order of OPTIONS,
 * then what is derived from them; the client holds them in this order.
 * @param {string|object|undefined} options The base URL, or the options.
 * @param {Settings} settings What the spec says: servers, user agent, host variable, schemes.
 * @returns {ClientSettings}
 */
function readSettings(options, settings) {
  const given = checkOptions(options);
  /** @type {Object<string, any>} */
  const read = {};
  for (const { name, check, default: fallback } of OPTIONS) {
    if (check !== null) {
      read[name] = check(given[name] === undefined ? fallback : given[name], name, settings, given);
    }
  }
  if (read.proxy && read.agent) {
    throw new ApiValueError('Give ApiClient a proxy or an agent, not both');
  }
  if (read.proxy) {
    parseProxy(read.proxy, read.proxyHeaders, {}, 'proxy'); // a bad URL is refused now
  }
  return /** @type {ClientSettings} */ ({ ...read, ...derivedSettings() });
}

/** The caches of what is derived from the settings, and the environment's proxies. */
function derivedSettings() {
  return {
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

/** The settings that stay out of console output: credentials, key material, and the caches. */
const HIDDEN_SETTINGS = Object.freeze([
  ...OPTIONS.filter((entry) => entry.hidden).map((entry) => entry.name),
  ...Object.keys(derivedSettings()),
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
  const names = OPTIONS.map((entry) => entry.name);
  for (const key of Object.keys(given)) {
    if (!names.includes(/** @type {any} */ (key))) {
      throw new ApiTypeError(`ApiClient has no option '${key}'; it takes ${names.join(', ')}`);
    }
  }
  if (given.basePath !== undefined && given.server !== undefined) {
    throw new ApiValueError('Give ApiClient a basePath or a server, not both');
  }
  return given;
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
