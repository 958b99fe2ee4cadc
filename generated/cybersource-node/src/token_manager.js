'use strict';
// TokenManager: obtains, caches and renews the access token, like the Python packages'
// token_manager.py. One token request at a time however many callers wait; the token is
// reused until expires_in minus a leeway; a rotated refresh token is kept and handed to
// onToken so it can be stored.
//
// With a store, managers in many processes (Python ones too) share one token: one of them
// renews it under the store's lease (token_sharing.js, token_store.js), by the rules of the
// Python packages' _token_manager.py and templates/RUNTIME-CONTRACT.md ("Token stores").
//
// The generated subclass sets `operation` (the token operation, whose `tokenGrants` come
// from the spec's x-token-manager), `ApiClient`, and `clientAuth` ('form', the default:
// client_id and client_secret as form fields; 'basic': HTTP Basic, client_secret_basic,
// when x-token-manager says so or the operation's security is HTTP Basic) on the class.

const { limits } = require('./configuration.js');
const {
  ApiError, ApiTypeError, ApiValueError, MalformedResponseError, TokenStoreError,
} = require('./errors.js');
const { formEncode } = require('./request.js');
const { ShapeError, readAnswer } = require('./schema.js');
const { issuedTokens, redact, redactHeaders } = require('./secrets.js');
const { basicAuthorization } = require('./security.js');
const { SharedToken, jitter, serverTime } = require('./token_sharing.js');

/**
 * @typedef {import('./request').Operation} Operation
 * @typedef {{clientId: string, clientSecret: string, refreshToken?: string, apiClient?: any,
 *   leeway?: number, onToken?: (token: any) => unknown, clock?: () => number, store?: any,
 *   storeKey?: string, lease?: number, onStoreError?: 'warn'|'raise'}} Options
 * @typedef {import('./token_store').StoredToken} StoredToken
 */

/** While the store fails, how often (seconds) a manager holding a valid token asks it again. */
const STORE_RETRY = 1;

const OPTIONS = [
  'clientId', 'clientSecret', 'refreshToken', 'apiClient', 'leeway', 'onToken', 'clock', 'store', 'storeKey', 'lease', 'onStoreError',
];

class BaseTokenManager {
  /**
   * @param {Options|string} options clientId and clientSecret; refreshToken, a stored refresh
   *   token to start from; apiClient (default: ApiClient.instance); leeway, the seconds
   *   before expires_in runs out that a token counts as expired (60, but never more than
   *   half its lifetime); onToken(token), called with every new token answer (a Promise
   *   it returns is awaited; if it throws, the call that fetched the token fails with
   *   it), also with one refused for a bad expires_in that rotates the refresh token (with a
   *   store, only in the process that fetched); clock(), a monotonic clock in seconds (tests
   *   pass a fake one); store, a TokenStore to share the token through with other managers
   *   and processes, Python ones too (a refresh token it holds wins over refreshToken);
   *   storeKey, the name of one authorization when a client holds several; lease, the
   *   seconds one renewal may hold the store's lease (30); onStoreError, 'warn' (one
   *   warning, then this process fetches for itself) or 'raise' (reject with
   *   TokenStoreError, sending nothing).
   * @param {string} [clientSecret] With the client id as the first argument.
   * @param {Omit<Options, 'clientId'|'clientSecret'>} [more] The other options, then.
   */
  constructor(options, clientSecret, more) {
    if (typeof options === 'string') {
      // new TokenManager(clientId, clientSecret, {...}), as the Python packages take them.
      options = { ...more, clientId: options, clientSecret: /** @type {string} */ (clientSecret) };
    }
    const leeway = checkOptions(options);
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
    // expiresAt: when to renew; expires: when the token really expires (null: no expires_in).
    /** @type {{token: any, expiresAt: number|null, expires: number|null}} Replaced whole. */
    this.state = { token: null, expiresAt: null, expires: null };
    /** @type {Promise<any>|null} The token request under way, shared by every caller. */
    this.flight = null;
    /** @type {SharedToken|null} The store this manager shares its token through. */
    this.sharing = options.store === undefined || options.store === null ? null : new SharedToken(
      options.store, options.storeKey, options.lease === undefined ? 30 : options.lease,
      options.onStoreError === undefined ? 'warn' : options.onStoreError, () => this.apiClient.logger,
    );
    /** @type {string|null} The access token last invalidated: a store still holding it is not trusted. */
    this.rejected = null;
    /** @type {() => number} The wall clock (Unix seconds) that stored expiry times are read with. */
    this.wallClock = () => Date.now() / 1000;
  }

  /** The store this manager shares its token through, or null. */
  get store() {
    return this.sharing === null ? null : this.sharing.store;
  }

  /** The refresh token the next renewal sends, if any. */
  get refreshToken() {
    return /** @type {any} */ (this).credentials.refreshToken;
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
      this.flight = this.renew().finally(() => {
        this.flight = null;
      });
    }
    return (await this.flight).access_token;
  }

  /**
   * Forgets the access token (not the refresh token): the next getToken fetches. With
   * `token`, forgets it only if it is still the current one, so that many requests
   * refused with the same token cause a single renewal. With a store, its record forgets
   * the token too, only if it still holds it: the Promise returned then resolves once the
   * store is done (with onStoreError 'raise' it may reject with a TokenStoreError).
   * @param {string} [token]
   * @returns {Promise<void>|undefined}
   */
  invalidate(token) {
    const current = this.state.token === null ? null : this.state.token.access_token;
    if (token === undefined || current === token) {
      this.state = { token: null, expiresAt: null, expires: null };
    }
    const rejected = token === undefined ? current : token;
    const sharing = this.sharing;
    if (rejected === null || rejected === undefined) {
      return undefined;
    }
    this.rejected = rejected;
    if (sharing === null) {
      return undefined;
    }
    const done = this.unshare(sharing, rejected).catch((error) => {
      if (!(error instanceof TokenStoreError)) {
        throw error;
      }
      sharing.failed(error);
    });
    done.catch(() => {}); // not awaited by a caller that ignores it: never an unhandled rejection
    return done;
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
   * One renewal: from the store when another process renewed, else fetched.
   * @returns {Promise<any>}
   */
  async renew() {
    const sharing = this.sharing;
    if (sharing === null) {
      return this.fetchNext();
    }
    try {
      return await this.renewShared(sharing);
    } catch (error) {
      if (!(error instanceof TokenStoreError)) {
        throw error;
      }
      sharing.failed(error);
      const kept = this.stillValid();
      return kept !== null ? kept : this.fetchNext();
    }
  }

  /**
   * While the store fails: the held token if it has not really expired, asked about again
   * in a second (fetching alone could spend a refresh token another process is about to use).
   * @returns {any} The token, or null.
   */
  stillValid() {
    const { token, expires } = this.state;
    const now = this.clock();
    if (token === null || (expires !== null && now >= expires)) {
      return null;
    }
    const retryAt = now + STORE_RETRY;
    this.state = { token, expiresAt: expires === null ? retryAt : Math.min(expires, retryAt), expires };
    return token;
  }

  /**
   * Takes the store's token, or the lease to renew it; waits while another process renews.
   * @param {SharedToken} sharing
   * @returns {Promise<any>}
   */
  async renewShared(sharing) {
    const key = this.storeKeyOf(sharing);
    const started = performance.now();
    const deadline = started + (sharing.lease + this.requestBudget()) * 1000;
    let pause = 2;
    for (;;) {
      const token = this.adopt(await sharing.read(key));
      if (token !== null) {
        return token;
      }
      const renewed = await sharing.leased(key, async (held) => {
        if (!held) {
          return null;
        }
        // Read again under the lease: the holder before may have just renewed.
        const stored = this.adopt(await sharing.read(key));
        return stored !== null ? stored : this.fetchNext();
      });
      if (renewed !== null) {
        return renewed;
      }
      if (performance.now() >= deadline) {
        const waited = ((performance.now() - started) / 1000).toFixed(1);
        throw new TokenStoreError(`${sharing.store}: no token after waiting ${waited} s for the process renewing it`);
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 20);
    }
  }

  /**
   * The form fields of the next token request: the refresh token if there is one, else
   * client credentials if the endpoint takes them.
   * @returns {Object<string, string>}
   */
  nextGrant() {
    const grants = this.operation.tokenGrants || [];
    const refreshToken = /** @type {any} */ (this).credentials.refreshToken;
    if (refreshToken !== null && grants.includes('refresh_token')) {
      return { grant_type: 'refresh_token', refresh_token: refreshToken };
    }
    if (grants.includes('client_credentials')) {
      return { grant_type: 'client_credentials' };
    }
    throw new ApiValueError('TokenManager has no refresh token: pass refreshToken or call exchangeCode(code) first');
  }

  /**
   * Fetches with the next grant. A refresh token the server rejects with invalid_grant is
   * dropped (unless the store holds a newer one), then client credentials are used if the
   * endpoint takes them.
   * @returns {Promise<any>}
   */
  async fetchNext() {
    const grant = this.nextGrant();
    try {
      return await this.fetch(grant);
    } catch (error) {
      if (grant.grant_type !== 'refresh_token' || !(error instanceof ApiError) || error.error !== 'invalid_grant') {
        throw error;
      }
      const adopted = await this.afterSpent(grant.refresh_token);
      if (adopted !== null) {
        return adopted;
      }
      const credentials = /** @type {any} */ (this).credentials;
      if (credentials.refreshToken === grant.refresh_token) {
        credentials.refreshToken = null;
      }
      if ((this.operation.tokenGrants || []).includes('client_credentials')) {
        return this.fetch({ grant_type: 'client_credentials' });
      }
      const rejected = /** @type {any} */ (error);
      throw new rejected.constructor(`${error.message}; the refresh token was rejected and dropped: a new authorization is needed (exchangeCode)`, {
        ...rejected,
        headers: rejected.headers,
        data: rejected.data,
        response: rejected.response,
      });
    }
  }

  /**
   * After invalid_grant: the store's token when another process rotated the refresh token.
   * Otherwise the store forgets `spent` (if it still holds it) and null is returned.
   * @param {string} spent
   * @returns {Promise<any>}
   */
  async afterSpent(spent) {
    const sharing = this.sharing;
    if (sharing === null) {
      return null;
    }
    try {
      const key = this.storeKeyOf(sharing);
      const record = await sharing.read(key);
      if (record !== null && record.refreshToken !== null && record.refreshToken !== spent) {
        const token = this.adopt(record);
        return token !== null ? token : await this.fetch(this.nextGrant());
      }
      if (record !== null && record.refreshToken === spent) {
        await sharing.write(key, {
          accessToken: null, refreshToken: null, expiresAt: null, response: null,
        });
      }
    } catch (error) {
      if (!(error instanceof TokenStoreError)) {
        throw error;
      }
      sharing.failed(error);
    }
    return null;
  }

  /**
   * Takes the refresh token of a stored record, and its access token while fresh.
   * @param {StoredToken|null} record
   * @returns {any} The token answer adopted, or null.
   */
  adopt(record) {
    if (record === null) {
      return null;
    }
    const credentials = /** @type {any} */ (this).credentials;
    if (record.refreshToken !== null) {
      credentials.refreshToken = record.refreshToken;
    }
    if (record.accessToken === null || record.accessToken === this.rejected) {
      return null;
    }
    const lifetime = record.response === null ? undefined : record.response.expires_in;
    const margin = this.margin(isSeconds(lifetime) ? /** @type {number} */ (lifetime) : null);
    let expiresAt = null;
    let expires = null;
    if (record.expiresAt !== null) {
      const remaining = record.expiresAt - this.wallClock();
      if (remaining <= margin) {
        return null;
      }
      expires = this.clock() + remaining;
      expiresAt = expires - margin - jitter(margin);
    }
    let token;
    try {
      token = this.storedAnswer(record);
    } catch (error) {
      if (!(error instanceof TokenStoreError) || this.sharing === null) {
        throw error;
      }
      this.sharing.failed(error);
      return null; // renewed under the lease, as if there were no record
    }
    this.state = { token, expiresAt, expires };
    return token;
  }

  /**
   * The token answer of a record, read as the spec says an answer is read.
   * @param {StoredToken} record
   * @returns {any}
   */
  storedAnswer(record) {
    const body = { ...record.response, access_token: record.accessToken };
    const type = this.operation.returnType;
    try {
      return typeof type === 'function' ? readAnswer(type, body) : body;
    } catch (error) {
      if (!(error instanceof ShapeError)) {
        throw error;
      }
      throw new TokenStoreError(`${this.store}: the stored token answer is not one this token operation gives`);
    }
  }

  /**
   * Makes the store forget `rejected` if it still holds it (not its refresh token).
   * @param {SharedToken} sharing
   * @param {string} rejected
   */
  async unshare(sharing, rejected) {
    const key = this.storeKeyOf(sharing);
    const record = await sharing.read(key);
    if (record === null || record.accessToken !== rejected) {
      return;
    }
    await sharing.leased(key, async (held) => {
      const again = held ? await sharing.read(key) : null;
      if (again !== null && again.accessToken === rejected) {
        await sharing.write(key, {
          accessToken: null, refreshToken: again.refreshToken, expiresAt: null, response: null,
        });
      }
    });
  }

  /**
   * Writes `record` to the store; a failure is reported, the token is kept here.
   * @param {StoredToken} record
   */
  async share(record) {
    const sharing = /** @type {SharedToken} */ (this.sharing);
    try {
      await sharing.write(this.storeKeyOf(sharing), record);
    } catch (error) {
      if (!(error instanceof TokenStoreError)) {
        throw error;
      }
      sharing.failed(error);
    }
  }

  /**
   * The record's key: the token URL (the client's host, then the operation's path), the
   * client id and storeKey.
   * @param {SharedToken} sharing
   * @returns {string}
   */
  storeKeyOf(sharing) {
    const tokenUrl = String(this.apiClient.basePath).replace(/\/+$/, '') + this.operation.path;
    return sharing.key(tokenUrl, /** @type {any} */ (this).credentials.clientId);
  }

  /** @returns {number} How long one token request may take, with its retries, in seconds. */
  requestBudget() {
    const { connect, read } = limits(this.apiClient.timeout === undefined ? 0 : this.apiClient.timeout);
    const once = Number.isFinite(connect + read) ? (connect + read) / 1000 : 300;
    return once * ((this.apiClient.retries || 0) + 1);
  }

  /**
   * How long before expiry a token is renewed: leeway, at most half the lifetime.
   * @param {number|null} lifetime
   * @returns {number}
   */
  margin(lifetime) {
    return lifetime === null ? this.leeway : Math.min(this.leeway, lifetime / 2);
  }

  /**
   * One token request; caches the answer, keeps a rotated refresh token (and shares them
   * through the store), calls onToken.
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
        await this.keepRotated(rotatedIn(/** @type {any} */ (error).response));
      }
      throw error;
    }
    const { data, response } = answer;
    const rotated = typeof data.refresh_token === 'string' && data.refresh_token !== '' ? data.refresh_token : null;
    const expiresIn = data.expires_in;
    if (expiresIn !== undefined && expiresIn !== null && !isSeconds(expiresIn)) {
      // The answer is refused, but the server may have rotated the refresh token and
      // spent the old one: keep the new one (and hand it to onToken to store).
      const refused = this.refusedLifetime(response);
      if (rotated !== null) {
        await this.keepRotated(rotated);
        if (this.onToken !== undefined) {
          await this.onToken(data);
        }
      }
      throw refused;
    }
    await this.remember(data, response, expiresIn === undefined ? null : expiresIn, rotated);
    if (this.onToken !== undefined) {
      await this.onToken(data);
    }
    return data;
  }

  /**
   * Keeps a fetched token, here and in the store (before the lease is given back).
   * @param {any} data The token answer.
   * @param {any} response The answer as it came: its headers and parsed body.
   * @param {number|null} lifetime Its expires_in.
   * @param {string|null} rotated The refresh token it rotated.
   */
  async remember(data, response, lifetime, rotated) {
    let expiresAt = null;
    if (lifetime !== null) {
      // Renew `leeway` seconds early, but never sooner than half the lifetime; with a
      // store, a little earlier still, at random, so a fleet does not renew at once.
      const margin = this.margin(lifetime);
      expiresAt = this.clock() + lifetime - margin - (this.sharing === null ? 0 : jitter(margin));
    }
    this.state = { token: data, expiresAt, expires: lifetime === null ? null : this.clock() + lifetime };
    const credentials = /** @type {any} */ (this).credentials;
    if (rotated !== null) {
      credentials.refreshToken = rotated;
    }
    if (this.sharing !== null) {
      const body = response.body;
      await this.share({
        accessToken: data.access_token,
        refreshToken: credentials.refreshToken,
        // Absolute, and by the server's clock: every host reading the record agrees on it.
        expiresAt: lifetime === null ? null : serverTime(response.headers, this.wallClock()) + lifetime,
        response: body !== null && typeof body === 'object' && !Array.isArray(body) ? body : null,
      });
    }
  }

  /**
   * Keeps a refresh token the server rotated in an answer that is refused.
   * @param {string|null} rotated
   */
  async keepRotated(rotated) {
    if (rotated !== null) {
      /** @type {any} */ (this).credentials.refreshToken = rotated;
      if (this.sharing !== null) {
        await this.share({
          accessToken: null, refreshToken: rotated, expiresAt: null, response: null,
        });
      }
    }
  }

  /**
   * The error of a token answer whose expires_in is not a positive number, the tokens it
   * issued cut out.
   * @param {any} response
   * @returns {Error}
   */
  refusedLifetime(response) {
    return new MalformedResponseError(
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
  }
}

/**
 * @param {unknown} value
 * @returns {boolean} Whether `value` is a positive, finite number of seconds.
 */
function isSeconds(value) {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * The options of a TokenManager checked: nothing unknown, credentials given, each of its type.
 * @param {Options} options
 * @returns {number} The leeway.
 */
function checkOptions(options) {
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
  if ((options.store === undefined || options.store === null) && options.storeKey !== undefined && options.storeKey !== null) {
    throw new ApiTypeError('storeKey names a record in a store: pass store too');
  }
  return leeway;
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
  // Only the client credentials authenticate the client (RFC 6749 section 2.3.1): never
  // also the API key or token the client holds for the rest of the API ({}: none of them).
  return { fields: { client_id: credentials.clientId, client_secret: credentials.clientSecret, ...grant }, headers: {} };
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
