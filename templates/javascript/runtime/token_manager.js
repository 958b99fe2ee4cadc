'use strict';
// TokenManager: obtains, caches and renews the access token, like the Python packages'
// token_manager.py. One token request at a time however many callers wait; the token is
// reused until expires_in minus a leeway; a rotated refresh token is kept and handed to
// onToken so it can be stored.
//
// The generated subclass sets `operation` (the token operation, whose `tokenGrants` come
// from the spec's x-token-manager), `ApiClient`, and `clientAuth` ('form', the default:
// client_id and client_secret as form fields; 'basic': HTTP Basic, client_secret_basic,
// when x-token-manager says so or the operation's security is HTTP Basic) on the class.

const {
  ApiError, ApiTypeError, ApiValueError, MalformedResponseError, issuedTokens, redact, redactHeaders,
} = require('./errors.js');
const { formEncode } = require('./request.js');
const { basicAuthorization } = require('./security.js');

/**
 * @typedef {import('./request').Operation} Operation
 * @typedef {{clientId: string, clientSecret: string, refreshToken?: string, apiClient?: any,
 *   leeway?: number, onToken?: (token: any) => unknown, clock?: () => number}} Options
 */

const OPTIONS = ['clientId', 'clientSecret', 'refreshToken', 'apiClient', 'leeway', 'onToken', 'clock'];

class BaseTokenManager {
  /**
   * @param {Options|string} options clientId and clientSecret; refreshToken, a stored refresh
   *   token to start from; apiClient (default: ApiClient.instance); leeway, the seconds
   *   before expires_in runs out that a token counts as expired (60, but never more than
   *   half its lifetime); onToken(token), called with every new token answer (a Promise
   *   it returns is awaited; if it throws, the call that fetched the token fails with
   *   it), also with one refused for a bad expires_in that rotates the refresh token; clock(), a monotonic clock in seconds (tests pass a fake one).
   * @param {string} [clientSecret] With the client id as the first argument.
   * @param {Omit<Options, 'clientId'|'clientSecret'>} [more] The other options, then.
   */
  constructor(options, clientSecret, more) {
    if (typeof options === 'string') {
      // new TokenManager(clientId, clientSecret, {...}), as the Python packages take them.
      options = { ...more, clientId: options, clientSecret: /** @type {string} */ (clientSecret) };
    }
    if (!options || typeof options !== 'object') {
      throw new ApiTypeError('TokenManager takes an object of options: {clientId, clientSecret, ...}');
    }
    for (const key of Object.keys(options)) {
      if (!OPTIONS.includes(key)) {
        throw new ApiTypeError(`TokenManager has no option '${key}'; it takes ${OPTIONS.join(', ')}`);
      }
    }
    for (const key of ['clientId', 'clientSecret']) {
      const value = /** @type {any} */ (options)[key];
      if (typeof value !== 'string' || value === '') {
        throw new ApiValueError(`TokenManager needs ${key}, a non-empty string`);
      }
    }
    if (options.refreshToken !== undefined && options.refreshToken !== null && typeof options.refreshToken !== 'string') {
      throw new ApiTypeError('refreshToken of TokenManager must be a string');
    }
    const leeway = options.leeway === undefined ? 60 : options.leeway;
    if (typeof leeway !== 'number' || !Number.isFinite(leeway) || leeway < 0) {
      throw new ApiValueError('leeway of TokenManager must be a number of seconds, at least 0');
    }
    if (options.onToken !== undefined && typeof options.onToken !== 'function') {
      throw new ApiTypeError('onToken of TokenManager must be a function');
    }
    const Cls = /** @type {any} */ (this.constructor);
    /** @type {Operation} */
    this.operation = Cls.operation;
    /** @type {any} The client that sends the token requests. */
    this.apiClient = options.apiClient || Cls.ApiClient.instance;
    /** @type {number} */
    this.leeway = leeway;
    /** @type {((token: any) => unknown)|undefined} */
    this.onToken = options.onToken;
    /** @type {() => number} */
    this.clock = options.clock || (() => performance.now() / 1000);
    // Credentials out of console output and JSON.
    Object.defineProperty(this, 'credentials', {
      value: { clientId: options.clientId, clientSecret: options.clientSecret, refreshToken: options.refreshToken || null },
      enumerable: false,
    });
    /** @type {{token: any, expiresAt: number|null}} Replaced whole. */
    this.state = { token: null, expiresAt: null };
    /** @type {Promise<any>|null} The token request under way, shared by every caller. */
    this.flight = null;
  }

  /** The last token answer, or null before the first one. */
  get token() {
    return this.state.token;
  }

  /**
   * A valid access token: the cached one, or a new one fetched once for all callers.
   * @returns {Promise<string>}
   */
  async getToken() {
    const token = this.fresh();
    if (token !== null) {
      return token.access_token;
    }
    if (this.flight === null) {
      this.flight = this.fetchNext().finally(() => {
        this.flight = null;
      });
    }
    return (await this.flight).access_token;
  }

  /**
   * Forgets the access token (not the refresh token): the next getToken fetches. With
   * `token`, forgets it only if it is still the current one, so that many requests
   * refused with the same token cause a single renewal.
   * @param {string} [token]
   */
  invalidate(token) {
    const current = this.state.token;
    if (token === undefined || (current !== null && current.access_token === token)) {
      this.state = { token: null, expiresAt: null };
    }
  }

  /**
   * Exchanges an authorization code for the first access token and refresh token.
   * @param {string} code
   * @param {string} [redirectUri]
   * @returns {Promise<any>} The token answer.
   */
  async exchangeCode(code, redirectUri) {
    if (!this.operation.tokenGrants || !this.operation.tokenGrants.includes('authorization_code')) {
      throw new ApiValueError(`${this.operation.operationId} does not take the authorization_code grant`);
    }
    if (typeof code !== 'string' || code === '') {
      throw new ApiValueError('exchangeCode needs the authorization code, a non-empty string');
    }
    return this.fetch({ grant_type: 'authorization_code', code, redirect_uri: redirectUri });
  }

  /** @returns {any} The cached token answer if it has not expired, else null. */
  fresh() {
    const { token, expiresAt } = this.state;
    if (token === null || (expiresAt !== null && this.clock() >= expiresAt)) {
      return null;
    }
    return token;
  }

  /**
   * Fetches with the next grant: the refresh token if there is one, else client
   * credentials if the endpoint takes them. A refresh token the server rejects with
   * invalid_grant is dropped.
   * @returns {Promise<any>}
   */
  async fetchNext() {
    const grants = this.operation.tokenGrants || [];
    const credentials = /** @type {any} */ (this).credentials;
    if (credentials.refreshToken !== null && grants.includes('refresh_token')) {
      try {
        return await this.fetch({ grant_type: 'refresh_token', refresh_token: credentials.refreshToken });
      } catch (error) {
        if (!(error instanceof ApiError) || error.error !== 'invalid_grant') {
          throw error;
        }
        credentials.refreshToken = null;
        if (!grants.includes('client_credentials')) {
          const rejected = /** @type {any} */ (error);
          throw new rejected.constructor(`${error.message}; the refresh token was rejected and dropped: a new authorization is needed (exchangeCode)`, {
            ...rejected,
            headers: rejected.headers,
            data: rejected.data,
            response: rejected.response,
          });
        }
      }
    }
    if (grants.includes('client_credentials')) {
      return this.fetch({ grant_type: 'client_credentials' });
    }
    throw new ApiValueError('TokenManager has no refresh token: pass refreshToken or call exchangeCode(code) first');
  }

  /**
   * One token request; caches the answer, keeps a rotated refresh token, calls onToken.
   * @param {Object<string, string|undefined>} grant The grant's form fields by OAuth name.
   * @returns {Promise<any>}
   */
  async fetch(grant) {
    const credentials = /** @type {any} */ (this).credentials;
    const { fields, headers } = clientAuthentication(/** @type {any} */ (this.constructor).clientAuth, credentials, grant);
    // Its own requests never use a tokenManager of the client: they fetch the token.
    let answer;
    try {
      answer = await this.apiClient.callApi(
        this.operation, tokenArguments(this.operation, fields), undefined, { credentials: headers, useTokenManager: false },
      );
    } catch (error) {
      // A refused answer may still rotate the refresh token (and spend the old one).
      if (error instanceof MalformedResponseError && error.status >= 200 && error.status < 300) {
        const rotated = rotatedIn(/** @type {any} */ (error).response);
        if (rotated !== null) {
          credentials.refreshToken = rotated;
        }
      }
      throw error;
    }
    const { data, response } = answer;
    const rotated = typeof data.refresh_token === 'string' && data.refresh_token !== '' ? data.refresh_token : null;
    const expiresIn = data.expires_in;
    let expiresAt = null;
    if (expiresIn !== undefined && expiresIn !== null) {
      if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
        const refused = new MalformedResponseError(
          `${this.operation.operationId}: the token answer's expires_in is not a positive number of seconds`,
          {
            status: response.status,
            statusText: response.statusText,
            headers: redactHeaders(response.headers, issuedTokens(response.text)),
            body: redact(response.text, issuedTokens(response.text)),
            hideBody: true,
            response,
          },
        );
        // The answer is refused, but the server may have rotated the refresh token and
        // spent the old one: keep the new one (and hand it to onToken to store).
        if (rotated !== null) {
          credentials.refreshToken = rotated;
          if (this.onToken !== undefined) {
            await this.onToken(data);
          }
        }
        throw refused;
      }
      // Renew `leeway` seconds early, but never sooner than half the lifetime.
      expiresAt = this.clock() + expiresIn - Math.min(this.leeway, expiresIn / 2);
    }
    this.state = { token: data, expiresAt };
    if (rotated !== null) {
      credentials.refreshToken = rotated;
    }
    if (this.onToken !== undefined) {
      await this.onToken(data);
    }
    return data;
  }
}

/**
 * A token request's form fields and headers with the client's credentials: as form fields
 * (client_secret_post), or with clientAuth 'basic' as HTTP Basic (client_secret_basic).
 * @param {string|undefined} clientAuth
 * @param {{clientId: string, clientSecret: string}} credentials
 * @param {Object<string, string|undefined>} grant The grant's form fields by OAuth name.
 * @returns {{fields: Object<string, string|undefined>, headers: Object<string, string>|undefined}}
 */
function clientAuthentication(clientAuth, credentials, grant) {
  if (clientAuth === 'basic') {
    // RFC 6749 section 2.3.1: the id and secret are form-encoded before Basic encoding.
    const authorization = basicAuthorization(formEncode(credentials.clientId), formEncode(credentials.clientSecret));
    return { fields: grant, headers: { Authorization: authorization } };
  }
  return { fields: { client_id: credentials.clientId, client_secret: credentials.clientSecret, ...grant }, headers: undefined };
}

/**
 * The non-empty refresh_token of a JSON token answer, whatever else is wrong with it.
 * @param {{text?: string}|undefined} response
 * @returns {string|null}
 */
function rotatedIn(response) {
  let parsed;
  try {
    parsed = JSON.parse(response && typeof response.text === 'string' ? response.text : '');
  } catch {
    return null;
  }
  const rotated = parsed !== null && typeof parsed === 'object' ? parsed.refresh_token : undefined;
  return typeof rotated === 'string' && rotated !== '' ? rotated : null;
}

/**
 * The token operation's arguments for OAuth 2.0 form fields given by wire name.
 * @param {Operation} operation
 * @param {Object<string, string|undefined>} fields
 * @returns {Object<string, unknown>}
 */
function tokenArguments(operation, fields) {
  /** @type {Object<string, unknown>} */
  const args = {};
  const accepted = new Set();
  for (const param of operation.params) {
    if (param.in === 'form') {
      args[param.name] = fields[/** @type {string} */ (param.baseName)];
      accepted.add(param.baseName);
    } else if (param.in === 'body' && typeof param.type === 'function') {
      // A body model sent as a form: its fields are the form fields.
      /** @type {Object<string, unknown>} */
      const values = {};
      for (const spec of param.type.attributes) {
        accepted.add(spec.name);
        if (fields[spec.name] !== undefined) {
          values[spec.name] = fields[spec.name];
        }
      }
      args[param.name] = new param.type(values);
    }
  }
  const unsent = Object.keys(fields).filter((name) => fields[name] !== undefined && !accepted.has(name));
  if (unsent.length) {
    throw new ApiValueError(`The token endpoint takes no ${unsent.sort().join(', ')}`);
  }
  return args;
}

module.exports = { BaseTokenManager };
