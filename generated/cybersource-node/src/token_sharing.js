'use strict';
// How a TokenManager uses its store: records decoded, leases held, failures reported; the
// twin of the Python packages' _token_sharing.py.
//
// SharedToken is the manager's side of one store: it turns the store's text into records,
// makes a new lease owner id for every lease, and applies onStoreError (one warning, then
// the manager fetches for itself; or throw); jitter() and serverTime() give the times of a
// shared token. The renewal rules that use them are in token_manager.js.

const crypto = require('node:crypto');

const { ApiTypeError, ApiValueError, TokenStoreError } = require('./errors.js');
const { TokenStore, decodeRecord, encodeRecord, storeKey } = require('./token_store.js');

/** What onStoreError accepts. */
const STORE_ERROR_POLICIES = ['warn', 'raise'];
/** How far (seconds) a token answer's Date may be from this machine's clock to set the stored expiry. */
const DATE_TRUST = 600;

/**
 * @typedef {import('./token_store').StoredToken} StoredToken
 * @typedef {{info: (message: string) => void, warn?: (message: string) => void}} Logger
 */

/** One manager's view of a store: the record of its identity, and its lease. */
class SharedToken {
  /**
   * @param {unknown} store
   * @param {unknown} name
   * @param {unknown} lease
   * @param {unknown} onStoreError
   * @param {() => Logger|undefined} logger The client's logger, if it has one.
   */
  constructor(store, name, lease, onStoreError, logger) {
    if (!(store instanceof TokenStore)) {
      throw new ApiTypeError('store must be a TokenStore (MemoryTokenStore, FileTokenStore, RedisTokenStore or a subclass)');
    }
    if (name !== undefined && name !== null && (typeof name !== 'string' || name === '')) {
      throw new ApiValueError('storeKey must be a non-empty string (it names one authorization)');
    }
    if (typeof lease !== 'number' || !(lease > 0) || !Number.isFinite(lease)) {
      throw new ApiValueError(`lease must be a positive number of seconds, got ${String(lease)}`);
    }
    if (!STORE_ERROR_POLICIES.includes(/** @type {string} */ (onStoreError))) {
      throw new ApiValueError(`onStoreError must be 'warn' or 'raise', got ${String(onStoreError)}`);
    }
    /** @type {TokenStore} */
    this.store = store;
    /** @type {string|null} */
    this.name = /** @type {string|null|undefined} */ (name) || null;
    /** @type {number} */
    this.lease = lease;
    this.raises = onStoreError === 'raise';
    this.failing = false;
    this.logger = logger;
  }

  /**
   * @param {string} tokenUrl
   * @param {string} clientId
   * @returns {string}
   */
  key(tokenUrl, clientId) {
    return storeKey(tokenUrl, clientId, this.name);
  }

  /**
   * @param {string} key
   * @returns {Promise<StoredToken|null>}
   */
  async read(key) {
    const text = await this.store.read(key);
    let record = null;
    try {
      record = text === null || text === undefined ? null : decodeRecord(text, String(this.store));
    } catch (error) {
      if (!(error instanceof TokenStoreError)) {
        throw error;
      }
      // Reported, and counted as no record: the lease still decides who renews, and that
      // renewal replaces it.
      this.failed(error);
      return null;
    }
    this.answered();
    return record;
  }

  /**
   * @param {string} key
   * @param {StoredToken} record
   */
  async write(key, record) {
    await this.store.write(key, encodeRecord(record, Date.now() / 1000));
    this.answered();
  }

  /**
   * Tries the lease once; `body(true)` runs holding it, and it is given back after, even
   * when `body` throws; `body(false)` runs when someone else holds it.
   * @template T
   * @param {string} key
   * @param {(held: boolean) => Promise<T>} body
   * @returns {Promise<T>}
   */
  async leased(key, body) {
    // A new owner id for every lease: a holder whose lease ran out never gives back a
    // lease someone else took since.
    const owner = crypto.randomBytes(16).toString('hex');
    const taken = await this.store.acquire(key, owner, this.lease);
    try {
      return await body(taken);
    } finally {
      if (taken) {
        try {
          await this.store.release(key, owner);
        } catch (error) {
          if (!(error instanceof TokenStoreError)) {
            throw error;
          }
          this.warn(`${error.message}; its lease runs out by itself`);
        }
      }
    }
  }

  /**
   * Throws (onStoreError 'raise'), or warns about the first failure of an outage.
   * @param {Error} error
   */
  failed(error) {
    if (this.raises) {
      throw error;
    }
    if (!this.failing) {
      this.failing = true;
      this.warn(`${error.message}; this process fetches its own token meanwhile`);
    }
  }

  /** The store answered: an outage, if there was one, is over. */
  answered() {
    if (this.failing) {
      this.failing = false;
      const logger = this.logger();
      if (logger) {
        logger.info(`${String(this.store)} answers again; the token is shared again`);
      }
    }
  }

  /**
   * One warning: to the client's logger when it has one, else process.emitWarning.
   * @param {string} message
   */
  warn(message) {
    const logger = this.logger();
    if (logger) {
      (typeof logger.warn === 'function' ? logger.warn : logger.info).call(logger, message);
    } else {
      process.emitWarning(message, { type: 'TokenStoreWarning' });
    }
  }
}

/**
 * A random part of a tenth of the margin, so a fleet does not renew in the same second.
 * @param {number} margin
 * @returns {number}
 */
function jitter(margin) {
  return Math.random() * (margin / 10);
}

/**
 * Now by the server's clock (its Date header), else by this machine's: a Date more than
 * DATE_TRUST seconds off this machine's clock is taken for a wrong header, not a skewed clock.
 * @param {Object<string, string|string[]|undefined>} headers Lower-case names.
 * @param {number} now Unix seconds.
 * @returns {number}
 */
function serverTime(headers, now) {
  const value = headers ? headers.date : undefined;
  const server = Date.parse(Array.isArray(value) ? value[0] : String(value)) / 1000;
  return Number.isFinite(server) && Math.abs(server - now) <= DATE_TRUST ? server : now;
}

module.exports = { SharedToken, jitter, serverTime };
