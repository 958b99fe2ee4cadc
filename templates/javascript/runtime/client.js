'use strict';
// ApiClient: checks an operation's arguments against the spec, sends the request
// (retrying only what the server certainly did not process), and checks the answer
// against the spec. The rules are in templates/RUNTIME-CONTRACT.md.
//
// What depends on the spec comes from the generated subclass: `settings` ({hostVariable,
// userAgent, servers: [{url, name, description}], securitySchemes: [{name, kind, where,
// param}]}) on the ApiClient class, and the `operations` table of each API class.
//
// Credentials go as the Python packages send them (_api_client.py): an operation sends the
// first of its security schemes that is configured (apiKey with its apiKeyPrefix in a
// header, query parameter or cookie; accessToken or tokenManager as a bearer token;
// username and password as HTTP Basic), and a 401 to a tokenManager's token fetches a new
// one and sends the call once more.

const fs = require('fs');

const errors = require('./errors.js');
const {
  ApiConnectionError, ApiError, ApiTypeError, ApiValueError, MalformedResponseError, UnauthorizedException,
  errorClassFor, hidden, issuedTokens, oauthErrorFields, quote, redact, redactHeaders, retryAfterSeconds,
} = errors;
const {
  ShapeError, checkModel, checkValue, formFields, looksSecret, plainData, readAnswer, toModel, toText,
} = require('./model_base.js');
const { environmentProxies, environmentProxyFor, parseProxy, proxyRoute } = require('./proxy.js');
const transport = require('./transport.js');

/** Statuses that say the request was not processed, so sending it again is safe. */
const RETRY_STATUSES = new Set([429, 503]);

/**
 * Grants whose code or refresh token works once: a request the server may have seen is
 * not sent again, except on 429 with Retry-After (the server said it did not process it).
 */
const SINGLE_USE_GRANTS = new Set(['authorization_code', 'refresh_token']);

/**
 * The form fields of a token request whose value the server uses up: an authorization code
 * and a refresh token (RFC 6749 sections 4.1.2 and 10.4). A token request carrying one is
 * single-use whatever its grant_type says (a server may default a grant_type left out).
 */
const SINGLE_USE_FIELDS = new Set(['code', 'refresh_token']);

/** What each grant needs besides grant_type, and the section of RFC 6749 that says so. */
const GRANT_NEEDS = Object.freeze({ authorization_code: ['code', '4.1.3'], refresh_token: ['refresh_token', '6'] });

const DEFAULT_TIMEOUT = Object.freeze({ connect: 10000, read: 30000 });
const MiB = 1024 * 1024;

/** The options `new ApiClient({...})` takes, and their defaults. */
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

/** Visible ASCII, spaces and tabs: what a header value may hold. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
/** Text that is empty or only white space. */
const BLANK = /^\s*$/;
/** Text a form field keeps as it is (RFC 3986 unreserved); the rest is percent-encoded. */
const FORM_SAFE = /^[A-Za-z0-9_.~-]*$/;
/** The content type whose body is its fields, percent-encoded. */
const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * @typedef {import('./model_base').FieldSpec} FieldSpec
 * @typedef {import('./transport').TransportRequest} TransportRequest
 * @typedef {import('./transport').TransportAnswer} TransportAnswer
 * @typedef {import('./proxy').ProxyRoute} ProxyRoute
 * @typedef {{url: string, name?: string, description?: string}} Server
 * @typedef {{name: string, kind: 'apiKey'|'bearer'|'basic', where: 'header'|'query'|'cookie', param: string}} SecurityScheme
 * @typedef {{hostVariable?: string, userAgent?: string, servers: readonly Server[],
 *   securitySchemes?: readonly SecurityScheme[]}} Settings
 * @typedef {{getToken: () => Promise<string>, invalidate: (token?: string) => void}} TokenSource
 * @typedef {{credentials?: Object<string, string>, useTokenManager?: boolean}} CallOptions
 * @typedef {{operationId: string, method: string, path: string, contentType: string|null,
 *   accept: string|null, authNames?: string[], params: FieldSpec[], returnType?: any,
 *   responses: Object<string, any>, tokenGrants?: string[]|null}} Operation
 * @typedef {{status: number, statusText: string, headers: object, text: string, body: unknown}} Response
 * @typedef {(error: Error|null, data: any, response?: Response) => void} Callback
 * @typedef {{options: TransportRequest, secrets: string[], singleUse: boolean, managed: string|null}} Request
 * @typedef {{source: string, protocol: string, hostname: string, port: string, prefix: string,
 *   netloc: string, userinfo: string[], given: string}} Base
 */

class BaseApiClient {
  /**
   * @param {string|object} [options] The base URL, or the options: basePath or server
   *   (a name or index of the spec's servers), timeout ({connect, read} in ms, or one
   *   number for both), retries, retryAfterCap and backoffFactor (seconds),
   *   maxResponseBytes; credentials by security scheme: apiKey and apiKeyPrefix ({scheme
   *   name: text}), accessToken, username and password, tokenManager ({getToken(),
   *   invalidate(token)}); proxy (http://user:password@host:port), proxyHeaders, trustEnv
   *   (without proxy, use HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY; default true); agent,
   *   certFile, keyFile, caFile, passphrase, rejectUnauthorized, defaultHeaders, logger
   *   ({info(message)}, and warn(message) if it has one); strictResponses (refuse an
   *   answer that breaks only a facet of the spec; default false); for tests, transport, sleep(seconds) -> Promise, random() and
   *   now() (ms since the epoch).
   */
  constructor(options) {
    const given = /** @type {Object<string, any>} */ (typeof options === 'string' ? { basePath: options } : options || {});
    if (typeof given !== 'object' || Array.isArray(given)) {
      throw new ApiTypeError('ApiClient takes a base URL or an object of options');
    }
    for (const key of Object.keys(given)) {
      if (!hasOwn(OPTIONS, key)) {
        throw new ApiTypeError(`ApiClient has no option '${key}'; it takes ${Object.keys(OPTIONS).join(', ')}`);
      }
    }
    const settings = this.settings;
    const option = (/** @type {string} */ key) => (given[key] === undefined ? /** @type {any} */ (OPTIONS)[key] : given[key]);
    if (given.basePath !== undefined && given.server !== undefined) {
      throw new ApiValueError('Give ApiClient a basePath or a server, not both');
    }
    /** @type {string} The URL the operation paths are appended to. */
    this.basePath = given.basePath !== undefined
      ? checkUrl(given.basePath, 'basePath')
      : given.server !== undefined ? serverUrl(settings, given.server, 'server') : defaultHost(settings);
    /** @type {Object<string, string>} Headers sent with every request. */
    this.defaultHeaders = { 'User-Agent': settings.userAgent || 'Node.js', ...option('defaultHeaders') };
    /** @type {number|{connect: number, read: number}} Milliseconds. */
    this.timeout = checkTimeout(option('timeout'));
    /** @type {number} */
    this.retries = checkNumber(option('retries'), 'retries', true);
    /** @type {number} Seconds: the longest Retry-After honoured. */
    this.retryAfterCap = checkNumber(option('retryAfterCap'), 'retryAfterCap', false);
    /** @type {number} Seconds: the first backoff ceiling, doubled on each retry. */
    this.backoffFactor = checkNumber(option('backoffFactor'), 'backoffFactor', false);
    /** @type {number} */
    this.maxResponseBytes = checkNumber(option('maxResponseBytes'), 'maxResponseBytes', true);
    /** @type {Object<string, string>} API keys by security scheme name. */
    this.apiKey = checkTexts(option('apiKey'), 'apiKey', schemeNames(settings, 'apiKey'));
    /** @type {Object<string, string>} The prefix sent before each API key, by security scheme name. */
    this.apiKeyPrefix = checkTexts(option('apiKeyPrefix'), 'apiKeyPrefix', schemeNames(settings, 'apiKey'));
    /** @type {string|undefined} OAuth 2.0 / bearer access token, sent as `Authorization: Bearer`. */
    this.accessToken = checkText(option('accessToken'), 'accessToken');
    /** @type {string|undefined} User name for HTTP Basic. */
    this.username = checkText(option('username'), 'username');
    /** @type {string|undefined} Password for HTTP Basic. */
    this.password = checkText(option('password'), 'password');
    /** @type {TokenSource|undefined} Supplies the bearer token; a 401 makes it fetch a new one. */
    this.tokenManager = checkTokenSource(option('tokenManager'));
    /** @type {string|undefined} http://user:password@host:port of a proxy for every request. */
    this.proxy = checkText(option('proxy'), 'proxy');
    /** @type {Object<string, string>} More headers for the proxy alone. */
    this.proxyHeaders = checkTexts(option('proxyHeaders'), 'proxyHeaders', null);
    /** @type {boolean} Without proxy (and agent), use the proxy the environment names. */
    this.trustEnv = option('trustEnv') !== false;
    /** @type {object|undefined} An http.Agent or https.Agent: sockets, TLS; it decides the route itself. */
    this.agent = option('agent');
    if (this.proxy && this.agent) {
      throw new ApiValueError('Give ApiClient a proxy or an agent, not both');
    }
    if (this.proxy) {
      parseProxy(this.proxy, this.proxyHeaders, {}, 'proxy'); // a bad URL is refused now
    }
    /** @type {string|undefined} Client certificate file (PEM), for mutual TLS. */
    this.certFile = option('certFile');
    /** @type {string|undefined} Its private key file (PEM). */
    this.keyFile = option('keyFile');
    /** @type {string|undefined} CA certificates (PEM) to verify the server with. */
    this.caFile = option('caFile');
    /** @type {string|undefined} The passphrase of keyFile. */
    this.passphrase = option('passphrase');
    /** @type {boolean} */
    this.rejectUnauthorized = option('rejectUnauthorized') !== false;
    /** @type {{info: (message: string) => void}|undefined} */
    this.logger = option('logger');
    /** @type {boolean} Refuse answers that break only a facet of the spec (enum, pattern...). */
    this.strictResponses = option('strictResponses');
    if (typeof this.strictResponses !== 'boolean') {
      throw new ApiTypeError('strictResponses must be true or false');
    }
    // The (operation, field) pairs whose broken facets were told: each is told once.
    Object.defineProperty(this, 'warned', { value: new Set() });
    /** @type {(request: TransportRequest, callback: (error: any, answer?: TransportAnswer) => void) => void} */
    this.transport = option('transport') || transport.send;
    /** @type {(seconds: number) => Promise<void>} */
    this.sleep = option('sleep') || sleep;
    /** @type {() => number} */
    this.random = option('random') || Math.random;
    /** @type {() => number} */
    this.now = option('now') || Date.now;
    /** @type {Base|undefined} */
    this.parsedBase = undefined;
    /** @type {{key: string, options: object}|undefined} */
    this.tlsCache = undefined;
    /** @type {Object<string, string>} The proxy variables of the environment when the client was made. */
    this.environment = environmentProxies(process.env);
    /** @type {{base: Base, proxy: unknown, trustEnv: unknown, agent: unknown, proxyHeaders: unknown,
     *   caFile: unknown, rejectUnauthorized: unknown, route: ProxyRoute|null}|undefined} The route of the last call. */
    this.routeCache = undefined;
    // Credentials, and the key material read from keyFile, stay out of console output.
    for (const key of ['passphrase', 'tlsCache', 'apiKey', 'accessToken', 'password', 'tokenManager', 'proxy', 'proxyHeaders', 'environment', 'routeCache', 'parsedBase']) {
      Object.defineProperty(this, key, { enumerable: false });
    }
  }

  /**
   * util.inspect and console.log: the options, basePath without its user information
   * (user:password@); credentials are not enumerable.
   * @param {number} _depth
   * @param {object} options
   * @param {(value: unknown, options: object) => string} inspect
   * @returns {string}
   */
  [Symbol.for('nodejs.util.inspect.custom')](_depth, options, inspect) {
    const shown = { ...this };
    if (typeof shown.basePath === 'string') {
      shown.basePath = withoutUserinfo(shown.basePath);
    }
    return `${this.constructor.name} ${inspect(shown, options)}`;
  }

  /** @returns {Settings} What the spec says: servers, user agent, host variable. */
  get settings() {
    return /** @type {any} */ (this.constructor).settings || { servers: [] };
  }

  /** The servers of the spec: [{url, name, description}]. */
  static get servers() {
    const settings = /** @type {any} */ (this).settings;
    return (settings && settings.servers) || [];
  }

  /** The client every API class uses unless it is given another one. */
  static get instance() {
    if (!hasOwn(this, 'defaultInstance')) {
      Object.defineProperty(this, 'defaultInstance', { value: new this(), writable: true, configurable: true });
    }
    return /** @type {any} */ (this).defaultInstance;
  }

  static set instance(client) {
    Object.defineProperty(this, 'defaultInstance', { value: client, writable: true, configurable: true });
  }

  /**
   * Sends to one of the spec's servers from now on.
   * @param {string|number} server A server name (x-name) or index.
   * @returns {this}
   */
  useServer(server) {
    this.basePath = serverUrl(this.settings, server, 'server');
    return this;
  }

  /**
   * Checks the arguments, sends the request and checks the answer. Arguments that do not
   * fit the spec throw at once and nothing is sent.
   * @param {Operation} operation An entry of an API class's `operations`.
   * @param {Object<string, unknown>} args The operation's arguments by parameter name.
   * @param {Callback} [callback] `callback(error, data, response)`.
   * @param {CallOptions} [options] `credentials`: headers sent instead of the configured
   *   credentials and any default Authorization header; `useTokenManager: false`: no token from tokenManager (a TokenManager's
   *   own requests).
   * @returns {Promise<{data: any, response: Response}>|undefined} Without a callback, a
   *   Promise of `{data, response}`.
   */
  callApi(operation, args, callback, options) {
    if (callback !== undefined && callback !== null && typeof callback !== 'function') {
      throw new ApiTypeError(`The callback of ${operation.operationId} must be a function`);
    }
    const request = this.buildRequest(operation, args, options);
    if (callback) {
      this.send(operation, request, callback);
      return undefined;
    }
    return new Promise((resolve, reject) => {
      this.send(operation, request, (error, data, response) => {
        if (error) {
          reject(error);
        } else {
          resolve({ data, response: /** @type {Response} */ (response) });
        }
      });
    });
  }

  /**
   * callApi without a callback, for the data alone: a Promise of the data.
   * @param {Operation} operation
   * @param {Object<string, unknown>} args
   * @returns {Promise<any>}
   */
  callApiForData(operation, args) {
    const request = this.buildRequest(operation, args);
    return new Promise((resolve, reject) => {
      this.send(operation, request, (error, data) => {
        if (error) {
          reject(error);
        } else {
          resolve(data);
        }
      });
    });
  }

  /**
   * The request of one call; throws when an argument does not fit the spec.
   * @param {Operation} operation
   * @param {Object<string, unknown>} args
   * @param {CallOptions} [call]
   * @returns {Request}
   */
  buildRequest(operation, args, call) {
    let path = operation.path;
    let query = '';
    /** @type {Object<string, string>} */
    const headers = {};
    let cookies = '';
    let form = '';
    /** @type {unknown} */
    let body;
    /** @type {string[]} */
    const secrets = [];
    let singleUse = false;
    const token = Boolean(operation.tokenGrants);
    /** @type {Object<string, string>} The form fields sent, by name (a token request's grant is checked). */
    const fields = {};
    /** @type {(name: string, text: string, spec: FieldSpec) => void} */
    const addFormField = (name, text, spec) => {
      form += `${form ? '&' : ''}${formName(name)}=${formEncode(text)}`;
      if (spec.secret || looksSecret(name)) {
        secrets.push(text);
      }
      if (name === 'grant_type' && SINGLE_USE_GRANTS.has(text)) {
        singleUse = true;
      }
      if (token) {
        if (SINGLE_USE_FIELDS.has(name) && text !== '') {
          singleUse = true;
        }
        if (!hasOwn(fields, name)) {
          fields[name] = text;
        }
      }
    };
    for (const param of operation.params) {
      const value = args[param.name];
      if (value === undefined || value === null) {
        if (param.required) {
          throw new ApiValueError(`Missing the required parameter ${whereOf(operation, param)}`);
        }
        continue;
      }
      if (param.in === 'body' && operation.contentType === FORM_TYPE && typeof param.type === 'function') {
        // A body model sent as a form: its fields are the form fields.
        const Cls = param.type;
        const model = toModel(value, Cls, whereOf(operation, param));
        checkModel(model, Cls, whereOf(operation, param));
        formFields(model, Cls, whereOf(operation, param), addFormField);
        continue;
      }
      checkValue(value, param, whereOf(operation, param));
      const baseName = /** @type {string} */ (param.baseName);
      if (param.in === 'body') {
        body = value;
        continue;
      }
      const texts = Array.isArray(value) ? value.map(toText) : [toText(value)];
      if (param.secret || looksSecret(/** @type {string} */ (param.baseName))) {
        secrets.push(...texts);
      }
      switch (param.in) {
        case 'path':
          path = path.replace(`{${baseName}}`, encodeURIComponent(texts.join(',')));
          break;
        case 'query':
          for (const text of texts) {
            query += `${query ? '&' : '?'}${formName(baseName)}=${formEncode(text)}`;
          }
          break;
        case 'header':
          headers[baseName] = headerValue(texts.join(','), whereOf(operation, param));
          break;
        case 'cookie':
          cookies += `${cookies ? '; ' : ''}${baseName}=${headerValue(encodeURIComponent(texts.join(',')), whereOf(operation, param))}`;
          break;
        case 'form':
          for (const text of texts) {
            addFormField(baseName, text, param);
          }
          break;
        default:
          throw new ApiValueError(`Parameters in ${param.in} are not supported (${whereOf(operation, param)})`);
      }
    }
    if (token && hasOwn(fields, 'grant_type') && hasOwn(GRANT_NEEDS, fields.grant_type)) {
      const [needed, section] = /** @type {any} */ (GRANT_NEEDS)[fields.grant_type];
      if (!fields[needed]) {
        throw new ApiValueError(`Missing the required parameter ${fieldWhere(operation, needed)}: grant_type ${fields.grant_type} needs it (RFC 6749 section ${section})`);
      }
    }
    if (cookies) {
      headers.Cookie = cookies;
    }

    /** @type {Buffer|null} */
    let payload = null;
    if (form !== '' || operation.contentType === FORM_TYPE) {
      payload = Buffer.from(form, 'latin1'); // form-encoded text is ASCII
    } else if (body !== undefined) {
      payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(plainData(body)), 'utf8');
    }
    /** @type {Object<string, string>} */
    const requestHeaders = {};
    for (const name in this.defaultHeaders) {
      requestHeaders[name] = this.defaultHeaders[name];
    }
    for (const name in headers) {
      requestHeaders[name] = headers[name];
    }
    if (operation.accept) {
      requestHeaders.Accept = operation.accept;
    }
    if (payload !== null) {
      requestHeaders['Content-Type'] = operation.contentType || 'application/octet-stream';
      requestHeaders['Content-Length'] = String(payload.length);
    }
    let managed = null;
    if (call && call.credentials) { // the only credentials: not even a default Authorization
      for (const name of Object.keys(requestHeaders).filter((key) => key.toLowerCase() === 'authorization')) {
        delete requestHeaders[name];
      }
      for (const name in call.credentials) {
        requestHeaders[name] = headerValue(call.credentials[name], `the credentials header ${name}`);
      }
    } else if (operation.authNames && operation.authNames.length) {
      const useTokenManager = !call || call.useTokenManager !== false;
      const authorized = this.authorize(operation.authNames, requestHeaders, useTokenManager);
      query += authorized.query === '' ? '' : `${query ? '&' : '?'}${authorized.query}`;
      managed = authorized.managed;
    }
    secrets.push(...this.credentialSecrets(requestHeaders));
    const base = this.base();
    secrets.push(...base.userinfo);
    const proxy = this.route(base);
    if (proxy !== null) {
      secrets.push(...proxy.secrets);
    }
    const timeout = limits(this.timeout);
    return {
      options: {
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port,
        path: base.prefix + path + query,
        method: operation.method,
        headers: requestHeaders,
        payload,
        agent: this.agent,
        tls: base.protocol === 'https:' ? this.tls() : null,
        proxy,
        timeout,
        maxResponseBytes: this.maxResponseBytes,
        where: `${operation.method} ${base.source}${path}`,
      },
      secrets,
      singleUse,
      managed,
    };
  }

  /**
   * Adds the credentials of the first configured scheme of `names` (an operation's
   * security) to `headers`, as _api_client.py's _authorize does.
   * @param {string[]} names
   * @param {Object<string, string>} headers
   * @param {boolean} useTokenManager
   * @returns {{query: string, managed: string|null}} The query text to add; the header a
   *   bearer token from tokenManager goes in, when it supplies the credential.
   */
  authorize(names, headers, useTokenManager) {
    const schemes = this.settings.securitySchemes || [];
    const manager = useTokenManager ? this.tokenManager : undefined;
    for (const name of names) {
      const scheme = schemes.find((candidate) => candidate.name === name);
      if (scheme === undefined) {
        continue;
      }
      if (scheme.kind === 'bearer' && manager) {
        return { query: '', managed: scheme.param };
      }
      const value = this.credential(scheme);
      if (value === null) {
        continue;
      }
      if (scheme.where === 'query') {
        return { query: `${formName(scheme.param)}=${formEncode(value)}`, managed: null };
      }
      if (scheme.where === 'cookie') {
        const cookie = headerValue(`${scheme.param}=${value}`, `credentials of ${name}`);
        headers.Cookie = headers.Cookie ? `${headers.Cookie}; ${cookie}` : cookie;
      } else {
        headers[scheme.param] = headerValue(value, `credentials of ${name}`);
      }
      return { query: '', managed: null };
    }
    return { query: '', managed: null };
  }

  /**
   * The value a configured scheme sends, or null when it is not configured.
   * @param {SecurityScheme} scheme
   * @returns {string|null}
   */
  credential(scheme) {
    if (scheme.kind === 'bearer') {
      return this.accessToken ? `Bearer ${this.accessToken}` : null;
    }
    if (scheme.kind === 'basic') {
      if (typeof this.username !== 'string' || typeof this.password !== 'string') {
        return null;
      }
      return basicAuthorization(this.username, this.password);
    }
    const key = (this.apiKey || {})[scheme.name];
    if (!key) {
      return null;
    }
    const prefix = (this.apiKeyPrefix || {})[scheme.name];
    return prefix ? `${prefix} ${key}` : key;
  }

  /**
   * The credentials a request may carry, to redact from what a server echoes: every
   * configured key, token and password, and the Authorization value (with the password
   * of an HTTP Basic one, as sent and form-decoded).
   * @param {Object<string, string>} headers
   * @returns {string[]}
   */
  credentialSecrets(headers) {
    const found = Object.values(this.apiKey || {});
    for (const value of [this.accessToken, this.password]) {
      if (value) {
        found.push(value);
      }
    }
    const authorization = headers.Authorization || '';
    const space = authorization.indexOf(' ');
    if (space >= 0) {
      const value = authorization.slice(space + 1);
      found.push(value);
      if (authorization.slice(0, space).toLowerCase() === 'basic') {
        const password = basicPassword(value);
        found.push(password, formDecode(password));
      }
    }
    return found;
  }

  /**
   * The proxy requests to `base` go through, or null: `proxy`, else (with trustEnv and no
   * agent) the environment's proxy for its scheme unless NO_PROXY lists its host.
   * @param {Base} base
   * @returns {ProxyRoute|null}
   */
  route(base) {
    const cached = this.routeCache;
    if (cached !== undefined && cached.base === base && cached.proxy === this.proxy && cached.trustEnv === this.trustEnv
      && cached.agent === this.agent && cached.proxyHeaders === this.proxyHeaders && cached.caFile === this.caFile
      && cached.rejectUnauthorized === this.rejectUnauthorized) {
      return cached.route;
    }
    let url = this.proxy || null;
    let name = 'proxy';
    if (url !== null && this.agent) {
      throw new ApiValueError('Give ApiClient a proxy or an agent, not both');
    }
    if (url === null && this.trustEnv && !this.agent) {
      url = environmentProxyFor(base.protocol.slice(0, -1), base.netloc, this.environment);
      name = 'the proxy of the environment (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY)';
    }
    /** @type {ProxyRoute|null} */
    let route = null;
    if (url !== null) {
      /** @type {Object<string, unknown>} */
      const proxyTls = { rejectUnauthorized: this.rejectUnauthorized };
      if (this.caFile) {
        proxyTls.ca = readSetting(this.caFile, 'caFile');
      }
      route = proxyRoute(url, this.proxyHeaders, proxyTls, name);
    }
    this.routeCache = {
      base, proxy: this.proxy, trustEnv: this.trustEnv, agent: this.agent, proxyHeaders: this.proxyHeaders,
      caFile: this.caFile, rejectUnauthorized: this.rejectUnauthorized, route,
    };
    return route;
  }

  /**
   * The parts of basePath, parsed once for each value it takes; `netloc` is its host[:port]
   * as written (what NO_PROXY is matched against); `source` is basePath as messages show
   * it, without user information (user:password@), whose parts are in `userinfo` for
   * redaction.
   * @returns {Base}
   */
  base() {
    const source = this.basePath;
    if (this.parsedBase === undefined || this.parsedBase.given !== source) {
      const url = new URL(checkUrl(source, 'basePath'));
      const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(source);
      const userinfo = [url.password, formDecode(url.password)].filter(Boolean);
      this.parsedBase = {
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
    return this.parsedBase;
  }

  /**
   * The TLS options of https requests: the client certificate, its key and the CA files
   * read once for each set of paths. An unreadable file throws before anything is sent.
   * @returns {object}
   */
  tls() {
    const key = JSON.stringify([this.certFile, this.keyFile, this.caFile, this.passphrase, this.rejectUnauthorized]);
    if (this.tlsCache === undefined || this.tlsCache.key !== key) {
      /** @type {Object<string, unknown>} */
      const options = { rejectUnauthorized: this.rejectUnauthorized };
      // An empty path (an unset environment variable, say) counts as none.
      if (!this.certFile !== !this.keyFile) {
        throw new ApiValueError('certFile and keyFile go together: give both for mutual TLS, or neither');
      }
      for (const [option, file] of [['cert', this.certFile], ['key', this.keyFile], ['ca', this.caFile]]) {
        if (file) {
          options[/** @type {string} */ (option)] = readSetting(/** @type {string} */ (file), `${option}File`);
        }
      }
      if (this.passphrase !== undefined) {
        options.passphrase = this.passphrase;
      }
      this.tlsCache = { key, options };
    }
    return this.tlsCache.options;
  }

  /**
   * Sends a built request, retrying what is safe; calls `callback` exactly once. When
   * tokenManager supplies its bearer token, a 401 answer makes it fetch a new token and
   * the request is sent once more.
   * @param {Operation} operation
   * @param {Request} request
   * @param {Callback} callback
   */
  send(operation, request, callback) {
    if (request.managed === null) {
      this.sendRetrying(operation, request, callback);
      return;
    }
    const manager = /** @type {TokenSource} */ (this.tokenManager);
    const header = request.managed;
    const withToken = (/** @type {string|null} */ refused) => {
      Promise.resolve()
        .then(() => {
          if (refused !== null) {
            manager.invalidate(refused);
          }
          return manager.getToken();
        })
        .then((token) => {
          const value = headerValue(`Bearer ${token}`, 'the token from tokenManager');
          request.options = { ...request.options, headers: { ...request.options.headers, [header]: value } };
          request.secrets.push(token);
          return token;
        })
        .then((token) => {
          this.sendRetrying(operation, request, (error, data, response) => {
            if (refused === null && error instanceof UnauthorizedException) {
              if (this.logger) {
                this.logger.info(`${operation.method} ${operation.path} answered 401; fetching a new token`);
              }
              withToken(token);
              return;
            }
            callback(error, data, response);
          });
        }, (error) => callback(error, null, undefined));
    };
    withToken(null);
  }

  /**
   * Sends a built request, retrying what is safe; calls `callback` exactly once.
   * @param {Operation} operation
   * @param {Request} request
   * @param {Callback} callback
   */
  sendRetrying(operation, request, callback) {
    const retries = this.retries;
    let attempt = 0;
    const retry = (/** @type {string} */ why, /** @type {number} */ wait) => {
      attempt += 1;
      if (this.logger) {
        this.logger.info(`${why}; retry ${attempt} of ${retries} in ${wait.toFixed(2)} s`);
      }
      this.sleep(wait).then(once, once);
    };
    const once = () => {
      this.transport(request.options, (error, answer) => {
        if (error || !answer) {
          if (error instanceof ApiConnectionError && !error.connected && attempt < retries) {
            retry(error.message, this.backoff(attempt));
            return;
          }
          callback(transportFailure(operation, request, error), null, undefined);
          return;
        }
        if (RETRY_STATUSES.has(answer.status) && attempt < retries) {
          const retryAfter = retryAfterSeconds(header(answer.headers, 'retry-after'), this.now());
          const waitable = retryAfter === null || retryAfter <= this.retryAfterCap;
          // A single-use grant the server may have seen goes again only when it said
          // "not processed, come back later": 429 with Retry-After.
          const safe = !request.singleUse || (answer.status === 429 && retryAfter !== null);
          if (waitable && safe) {
            const why = `${request.options.where} answered ${answer.status}`;
            retry(why, retryAfter === null ? this.backoff(attempt) : retryAfter);
            return;
          }
        }
        let result;
        try {
          result = this.readResponse(operation, request, answer);
        } catch (failure) {
          result = { error: /** @type {Error} */ (failure), data: null, response: undefined };
        }
        callback(result.error, result.data, result.response);
      });
    };
    once();
  }

  /**
   * Exponential backoff with full jitter: up to backoffFactor * 2 ** attempt seconds.
   * @param {number} attempt
   * @returns {number}
   */
  backoff(attempt) {
    return Math.min(this.random() * this.backoffFactor * 2 ** attempt, this.retryAfterCap);
  }

  /**
   * The error or data of one answer, checked against the spec.
   * @param {Operation} operation
   * @param {Request} request
   * @param {TransportAnswer} answer
   * @returns {{error: Error|null, data: any, response: Response}}
   */
  readResponse(operation, request, answer) {
    const status = answer.status;
    const contentType = header(answer.headers, 'content-type') || '';
    const text = answer.body === null ? '' : decode(answer.body, contentType);
    /** @type {Response} */
    const response = { status, statusText: answer.statusText, headers: answer.headers, text, body: undefined };
    const ok = status >= 200 && status < 300;
    // A success the spec does not list (201 where it says 200) still owes the success model.
    const type = responseType(operation, status) || (ok ? operation.returnType || null : null);
    if (!ok && !answer.tooLarge) {
      return { error: this.httpError(operation, request, answer, text, type, response), data: null, response };
    }
    try {
      if (answer.tooLarge) {
        throw new ShapeError(`it is larger than maxResponseBytes (${this.maxResponseBytes})`);
      }
      const breaks = this.strictResponses ? null : [];
      const data = readData(operation, text, contentType, type, response, breaks);
      if (breaks !== null && breaks.length) {
        this.warnBreaks(operation, status, breaks);
      }
      return { error: null, data, response };
    } catch (problem) {
      if (!(problem instanceof ShapeError)) {
        throw problem;
      }
      const error = new MalformedResponseError(
        `${operation.operationId}: the HTTP ${status} answer is malformed: ${problem.message}`,
        {
          status,
          statusText: answer.statusText,
          // A successful answer may hold tokens: out of sight, and cut out even when the
          // answer is not JSON (cut short, HTML around it).
          headers: redactHeaders(answer.headers, ok ? [...request.secrets, ...issuedTokens(text)] : request.secrets),
          body: redact(text, ok ? [...request.secrets, ...issuedTokens(text)] : request.secrets),
          hideBody: ok,
          response,
          retryAfter: retryAfterSeconds(header(answer.headers, 'retry-after'), this.now()),
        },
      );
      // The answer as it came, tokens included: only under this explicit name.
      hidden(error, 'rawBody', text);
      return { error, data: null, response };
    }
  }

  /**
   * Tells, once per operation and field, of a field accepted though it breaks a facet of
   * the spec: its path and the facet, never its value. To the logger's warn(message) if
   * it has one, else as a process warning (ResponseWarning).
   * @param {Operation} operation
   * @param {number} status
   * @param {import('./model_base').Break[]} breaks
   */
  warnBreaks(operation, status, breaks) {
    const warned = /** @type {Set<string>} */ (/** @type {any} */ (this).warned);
    for (const { path, problem } of breaks) {
      const key = `${operation.operationId} ${path.replace(/\[\d+\]/g, '[]')}`;
      if (warned.has(key)) {
        continue;
      }
      if (warned.size < 1000) {
        warned.add(key);
      }
      const message = `${operation.operationId}: the HTTP ${status} answer's field \`${path}\` breaks the spec (${problem}); accepted (strictResponses: true refuses it)`;
      const logger = /** @type {any} */ (this.logger);
      if (logger && typeof logger.warn === 'function') {
        logger.warn(message);
      } else {
        process.emitWarning(message, 'ResponseWarning');
      }
    }
  }

  /**
   * The ApiError of a non-2xx answer, with the secrets of the request cut out.
   * @param {Operation} operation
   * @param {Request} request
   * @param {TransportAnswer} answer
   * @param {string} text
   * @param {any} type
   * @param {Response} response
   * @returns {Error}
   */
  httpError(operation, request, answer, text, type, response) {
    const clean = (/** @type {string} */ value) => redact(value, request.secrets);
    const body = clean(text);
    const statusText = clean(answer.statusText);
    const headers = redactHeaders(answer.headers, request.secrets);
    const oauth = oauthErrorFields(body);
    const parsed = parseJson(body);
    // The response goes to the callback too: it shows the redacted answer.
    response.text = body;
    response.statusText = statusText;
    response.headers = headers;
    response.body = parsed;
    let message = `${operation.operationId} failed: HTTP ${answer.status}${statusText ? ` ${statusText}` : ''}`;
    if (oauth.error) {
      message += `: ${oauth.error}${oauth.error_description ? ` (${oauth.error_description})` : ''}`;
    }
    const ErrorClass = errorClassFor(answer.status);
    const error = new ErrorClass(message.replace(/\s+/g, ' '), {
      status: answer.status,
      statusText,
      headers,
      body,
      data: typeof type === 'function' && parsed !== undefined ? type.constructFromObject(parsed) : parsed,
      response,
      retryAfter: retryAfterSeconds(header(answer.headers, 'retry-after'), this.now()),
      ...oauth,
    });
    // The answer as it came, secrets included: only under this explicit name.
    hidden(error, 'rawBody', text);
    return error;
  }
}

/** @type {WeakMap<FieldSpec, string>} */
const whereCache = new WeakMap();

/**
 * How messages name a parameter: `'name' when calling operationId`.
 * @param {Operation} operation
 * @param {FieldSpec} param
 * @returns {string}
 */
function whereOf(operation, param) {
  let where = whereCache.get(param);
  if (where === undefined) {
    where = `'${param.name}' when calling ${operation.operationId}`;
    whereCache.set(param, where);
  }
  return where;
}

/**
 * How messages name the argument that carries a form field: `'name' when calling
 * operationId`, `'param.field' when calling operationId` for a field of a body model.
 * @param {Operation} operation
 * @param {string} field The field's wire name.
 * @returns {string}
 */
function fieldWhere(operation, field) {
  for (const param of operation.params) {
    if (param.in === 'form' && param.baseName === field) {
      return whereOf(operation, param);
    }
    if (param.in === 'body' && typeof param.type === 'function' && Array.isArray(param.type.attributes)) {
      if (param.type.attributes.some((/** @type {FieldSpec} */ spec) => spec.name === field)) {
        return `'${param.name}.${field}' when calling ${operation.operationId}`;
      }
    }
  }
  return `'${field}' when calling ${operation.operationId}`;
}

/**
 * The data of a successful answer, checked against the type the spec declares for its
 * status; sets response.body. Throws a ShapeError saying what is wrong.
 * @param {Operation} operation
 * @param {string} text
 * @param {string} contentType
 * @param {any} type
 * @param {Response} response
 * @param {import('./model_base').Break[]|null} breaks Where to note facets the answer
 *   breaks; null: refuse them (strictResponses).
 * @returns {any}
 */
function readData(operation, text, contentType, type, response, breaks) {
  if (!type) {
    response.body = parseJson(text);
    return response.body === undefined ? null : response.body;
  }
  if (isBlank(text)) {
    throw new ShapeError(`an empty answer (Content-Type: ${contentType || 'none'})`);
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ShapeError(`an answer that is not JSON (Content-Type: ${contentType || 'none'})`);
  }
  response.body = parsed;
  const data = typeof type === 'function' ? readAnswer(type, parsed, undefined, breaks) : parsed;
  if (operation.tokenGrants && (typeof data.access_token !== 'string' || data.access_token === '')) {
    // RFC 6749 section 5.1: a token answer carries an access_token.
    throw new ShapeError('the token answer has no access_token, which OAuth 2.0 requires');
  }
  return data;
}

/**
 * The error of a call whose transport failed, its message led by the operation: an
 * ApiConnectionError, or a MalformedResponseError for an answer that is not HTTP.
 * @param {Operation} operation
 * @param {Request} request
 * @param {any} error
 * @returns {Error}
 */
function transportFailure(operation, request, error) {
  const message = `${operation.operationId}: ${error instanceof Error ? error.message : `could not send ${request.options.where}: ${error}`}`;
  if (error instanceof ApiConnectionError) {
    const Failure = /** @type {typeof ApiConnectionError} */ (error.constructor);
    return new Failure(message, { connected: error.connected, code: error.code, cause: error.cause });
  }
  if (error instanceof MalformedResponseError) {
    return new MalformedResponseError(message, { status: error.status });
  }
  if (error instanceof ApiError) {
    // A proxy that refused the tunnel (407...): its status, not retried.
    const Refusal = /** @type {typeof ApiError} */ (error.constructor);
    return new Refusal(redact(message, request.secrets), { status: error.status, statusText: error.statusText, headers: /** @type {any} */ (error).headers });
  }
  return new ApiConnectionError(message, { connected: true, cause: error });
}

/**
 * Whether text is empty or only white space; JSON text mostly starts with a brace.
 * @param {string} text
 * @returns {boolean}
 */
function isBlank(text) {
  return text.length === 0 || (text.charCodeAt(0) <= 0x20 && BLANK.test(text));
}

/**
 * The type the spec declares for a status: the exact code, then its range, then (for a
 * success, when the spec declares one) the success type, then default.
 * @param {Operation} operation
 * @param {number} status
 * @returns {any}
 */
function responseType(operation, status) {
  const responses = operation.responses;
  const code = String(status);
  if (hasOwn(responses, code)) {
    return responses[code];
  }
  const range = `${code[0]}XX`;
  if (hasOwn(responses, range)) {
    return responses[range];
  }
  if (code[0] === '2' && Object.keys(responses).some((key) => key[0] === '2')) {
    return operation.returnType || null; // an undeclared 2xx still owes the success type
  }
  return hasOwn(responses, 'default') ? responses.default : null;
}

/**
 * @param {object} object
 * @param {string} key
 * @returns {boolean}
 */
function hasOwn(object, key) {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/**
 * @param {string} text
 * @returns {unknown} The parsed JSON, or undefined when the text is empty or not JSON.
 */
function parseJson(text) {
  if (isBlank(text)) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * One header of an answer as a string (the first, if repeated).
 * @param {Object<string, string|string[]|undefined>} headers
 * @param {string} name Lower-case.
 * @returns {string|undefined}
 */
function header(headers, name) {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A body in the charset of its Content-Type (UTF-8 when none or unknown).
 * @param {Buffer} bytes
 * @param {string} contentType
 * @returns {string}
 */
function decode(bytes, contentType) {
  let charset = charsets.get(contentType);
  if (charset === undefined) {
    const match = /;\s*charset="?([^";\s]+)"?/i.exec(contentType);
    charset = match ? match[1].toLowerCase() : 'utf-8';
    if (charsets.size < 64) {
      charsets.set(contentType, charset);
    }
  }
  if (charset === 'utf-8' || charset === 'utf8') {
    return bytes.toString('utf8');
  }
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** @type {Map<string, string>} Content-Type -> charset, for the few a server sends. */
const charsets = new Map();

/**
 * A name or value as application/x-www-form-urlencoded text: UTF-8 percent-encoded but for
 * the RFC 3986 unreserved characters, spaces as '+', byte for byte what the Python
 * packages send (urllib.parse.quote_plus).
 * @param {string} text
 * @returns {string}
 */
function formEncode(text) {
  return FORM_SAFE.test(text) ? text : quote(text).replace(/%20/g, '+');
}

/** @type {Map<string, string>} The names of the spec's fields, encoded once. */
const encodedNames = new Map();

/**
 * A field name as formEncode gives it; the spec's few names are encoded once.
 * @param {string} name
 * @returns {string}
 */
function formName(name) {
  let encoded = encodedNames.get(name);
  if (encoded === undefined) {
    encoded = formEncode(name);
    if (encodedNames.size < 256) {
      encodedNames.set(name, encoded);
    }
  }
  return encoded;
}

/**
 * @param {string} value
 * @param {string} where
 * @returns {string}
 */
function headerValue(value, where) {
  if (!HEADER_VALUE.test(value)) {
    throw new ApiValueError(`Invalid value for ${where}: a header holds only printable ASCII (no CR, LF or control)`);
  }
  return value;
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
 * An `Authorization` value for HTTP Basic (RFC 7617, UTF-8).
 * @param {string} username
 * @param {string} password
 * @returns {string}
 */
function basicAuthorization(username, password) {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * The password of an HTTP Basic value ('' when it cannot be read).
 * @param {string} value
 * @returns {string}
 */
function basicPassword(value) {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    return '';
  }
  let pair;
  try {
    pair = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'base64'));
  } catch {
    return '';
  }
  const colon = pair.indexOf(':');
  return colon < 0 ? '' : pair.slice(colon + 1);
}

/**
 * Form-encoded text decoded ('+' a space, %XX its byte), as Python's unquote_plus does.
 * @param {string} text
 * @returns {string}
 */
function formDecode(text) {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
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

/**
 * @param {number} seconds
 * @returns {Promise<void>}
 */
function sleep(seconds) {
  return new Promise((resolve) => {
    setTimeout(resolve, seconds * 1000);
  });
}

module.exports = { BaseApiClient, RETRY_STATUSES, SINGLE_USE_GRANTS, basicAuthorization, formEncode };
