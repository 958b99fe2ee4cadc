'use strict';
// ApiClient: checks an operation's arguments against the spec, sends the request
// (retrying only what the server certainly did not process), and checks the answer
// against the spec, like the Python packages' _api_client.py. The rules are in
// templates/RUNTIME-CONTRACT.md.
//
// The modules it uses, each the twin of a Python module: configuration.js (settings),
// request.js (a call's request from its arguments), security.js (credentials of the
// spec's security schemes), retry.js (what is retried and how long to wait), transport.js
// (route, TLS and sending), schema.js and model.js (the spec's types), errors.js.
//
// What depends on the spec comes from the generated subclass: `settings` ({hostVariable,
// userAgent, servers: [{url, name, description}], securitySchemes: [{name, kind, where,
// param}]}) on the ApiClient class, and the `operations` table of each API class.

const { HIDDEN_SETTINGS, baseOf, limits, readSettings, serverUrl, withoutUserinfo } = require('./configuration.js');
const {
  ApiConnectionError, ApiError, ApiTypeError, MalformedResponseError, UnauthorizedException,
  errorClassFor, hidden, oauthErrorFields,
} = require('./errors.js');
const { buildRequest, headerValue } = require('./request.js');
const { backoff, retryAfterSeconds, retryStatus } = require('./retry.js');
const { ShapeError, readAnswer } = require('./schema.js');
const { credentialSecrets, issuedTokens, redact, redactHeaders } = require('./secrets.js');
const { addCredentials } = require('./security.js');
const { routeFor, tlsOptions } = require('./transport.js');

/** Text that is empty or only white space. */
const BLANK = /^\s*$/;

/**
 * @typedef {import('./configuration').Settings} Settings
 * @typedef {import('./configuration').ClientSettings} ClientSettings
 * @typedef {import('./configuration').TokenSource} TokenSource
 * @typedef {import('./request').Operation} Operation
 * @typedef {import('./security').CallOptions} CallOptions
 * @typedef {import('./transport').TransportRequest} TransportRequest
 * @typedef {import('./transport').TransportAnswer} TransportAnswer
 * @typedef {{status: number, statusText: string, headers: object, text: string, body: unknown}} Response
 * @typedef {(error: Error|null, data: any, response?: Response) => void} Callback
 * @typedef {{options: TransportRequest, secrets: string[], singleUse: boolean, managed: string|null}} Request
 */

/**
 * Holds the settings as its own fields: those of configuration.js's OPTIONS, in their order,
 * then the caches (typed from there, so that an option is declared in one place).
 * @type {new (settings: ClientSettings) => ClientSettings}
 */
const ClientFields = /** @type {any} */ (class {
  constructor(/** @type {ClientSettings} */ settings) {
    Object.assign(this, settings);
  }
});

class BaseApiClient extends ClientFields {
  /**
   * @param {string|object} [options] The base URL, or the options, each checked
   *   (configuration.js's OPTIONS declares them: name, default, check and meaning).
   */
  constructor(options) {
    super(readSettings(options, specOf(new.target)));
    // The (operation, field) pairs whose broken facets were told: each is told once.
    Object.defineProperty(this, 'warned', { value: new Set() });
    // Credentials, and the key material read from keyFile, stay out of console output.
    for (const key of HIDDEN_SETTINGS) {
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
    return specOf(this.constructor);
  }

  /** The servers of the spec: [{url, name, description}]. */
  static get servers() {
    const settings = /** @type {any} */ (this).settings;
    return (settings && settings.servers) || [];
  }

  /** The client every API class uses unless it is given another one. */
  static get instance() {
    if (!Object.hasOwn(this, 'defaultInstance')) {
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
   * The request of one call: its arguments (request.js), credentials (security.js), host,
   * route and TLS (transport.js); throws when an argument does not fit the spec.
   * @param {Operation} operation
   * @param {Object<string, unknown>} args
   * @param {CallOptions} [call]
   * @returns {Request}
   */
  buildRequest(operation, args, call) {
    const built = buildRequest(operation, args, this.defaultHeaders);
    const authorized = addCredentials(this, operation, built.headers, call);
    const query = authorized.query === '' ? built.query : `${built.query ? `${built.query}&` : '?'}${authorized.query}`;
    const secrets = built.secrets;
    secrets.push(...credentialSecrets(this, built.headers));
    const base = baseOf(this);
    secrets.push(...base.userinfo);
    const proxy = routeFor(this, base);
    if (proxy !== null) {
      secrets.push(...proxy.secrets);
    }
    const timeout = limits(this.timeout);
    return {
      options: {
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port,
        path: base.prefix + built.path + query,
        method: operation.method,
        headers: built.headers,
        payload: built.payload,
        agent: this.agent,
        tls: base.protocol === 'https:' ? tlsOptions(this) : null,
        proxy,
        timeout,
        maxResponseBytes: this.maxResponseBytes,
        where: `${operation.method} ${base.source}${built.path}`,
      },
      secrets,
      singleUse: built.singleUse,
      managed: authorized.managed,
    };
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
            retry(error.message, backoff(this, attempt));
            return;
          }
          callback(transportFailure(operation, request, error), null, undefined);
          return;
        }
        if (answer.status >= 400 && attempt < retries) {
          const retryAfter = retryAfterSeconds(header(answer.headers, 'retry-after'), this.now());
          if (retryStatus(this, answer.status, retryAfter, request.singleUse)) {
            const why = `${request.options.where} answered ${answer.status}`;
            retry(why, retryAfter === null ? backoff(this, attempt) : retryAfter);
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
   * @param {import('./schema').Break[]} breaks
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
      const logger = this.logger;
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

/**
 * The data of a successful answer, checked against the type the spec declares for its
 * status; sets response.body. Throws a ShapeError saying what is wrong.
 * @param {Operation} operation
 * @param {string} text
 * @param {string} contentType
 * @param {any} type
 * @param {Response} response
 * @param {import('./schema').Break[]|null} breaks Where to note facets the answer breaks;
 *   null: refuse them (strictResponses).
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
  if (Object.hasOwn(responses, code)) {
    return responses[code];
  }
  const range = `${code[0]}XX`;
  if (Object.hasOwn(responses, range)) {
    return responses[range];
  }
  if (code[0] === '2' && Object.keys(responses).some((key) => key[0] === '2')) {
    return operation.returnType || null; // an undeclared 2xx still owes the success type
  }
  return Object.hasOwn(responses, 'default') ? responses.default : null;
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
 * What the spec says (the generated ApiClient's `settings`), or no servers.
 * @param {Function} clientClass
 * @returns {Settings}
 */
function specOf(clientClass) {
  return /** @type {any} */ (clientClass).settings || { servers: [] };
}

module.exports = { BaseApiClient };
