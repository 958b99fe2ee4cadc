'use strict';
// Token stores: where TokenManagers keep the token they share, and the record they keep;
// the twin of the Python packages' _token_store.py.
//
// A store holds, per key, one record (JSON text) and one lease (a lock with an owner and
// an expiry). A TokenManager with a store renews under the lease, reads the record again
// once it holds it, and writes the new record before it gives the lease back; the rules
// live in token_manager.js, the stores only keep text and leases. The record format, the
// key and the lock protocols are written down once for Python and Node.js in the runtime
// contract (templates/RUNTIME-CONTRACT.md, "Token stores"): a Python process and a Node.js
// process share one store.

const crypto = require('node:crypto');

const { TokenStoreError } = require('./errors.js');

/** The record format this runtime writes and reads. */
const RECORD_VERSION = 1;

/**
 * Where TokenManagers keep a shared token: the base of every store. A store maps a key (a
 * hex digest, never a secret) to a record (JSON text) and holds one lease per key. Its
 * methods reject with TokenStoreError when the store cannot be reached or refuses; a
 * subclass implements all four.
 */
class TokenStore {
  /**
   * The record stored under `key`, or null when there is none.
   * @param {string} key
   * @returns {Promise<string|null>}
   */
  async read(key) {
    throw new TokenStoreError(`${this.constructor.name} does not implement read(${key})`);
  }

  /**
   * Replaces the record under `key` at once: a reader sees the old or the new one.
   * @param {string} key
   * @param {string} record
   * @returns {Promise<void>}
   */
  async write(key, record) {
    throw new TokenStoreError(`${this.constructor.name} does not implement write(${key}, ${record.length} characters)`);
  }

  /**
   * Takes the lease on `key` for `lease` seconds if no one holds it; never waits. A lease
   * that has run out counts as free.
   * @param {string} key
   * @param {string} owner
   * @param {number} lease
   * @returns {Promise<boolean>}
   */
  async acquire(key, owner, lease) {
    throw new TokenStoreError(`${this.constructor.name} does not implement acquire(${key}, ${owner.length}, ${lease})`);
  }

  /**
   * Gives the lease back, only if `owner` still holds it.
   * @param {string} key
   * @param {string} owner
   * @returns {Promise<void>}
   */
  async release(key, owner) {
    throw new TokenStoreError(`${this.constructor.name} does not implement release(${key}, ${owner.length})`);
  }

  /** How errors and warnings name the store: its class, never a secret. */
  toString() {
    return `${this.constructor.name}()`;
  }
}

/**
 * A store in this process's memory: managers given the same one share a token. Without a
 * store (the default) a TokenManager keeps its token to itself.
 */
class MemoryTokenStore extends TokenStore {
  constructor() {
    super();
    /** @type {Map<string, string>} */
    this.records = new Map();
    /** @type {Map<string, {owner: string, until: number}>} */
    this.leases = new Map();
  }

  /** @param {string} key */
  async read(key) {
    const record = this.records.get(key);
    return record === undefined ? null : record;
  }

  /** @param {string} key @param {string} record */
  async write(key, record) {
    this.records.set(key, record);
  }

  /** @param {string} key @param {string} owner @param {number} lease */
  async acquire(key, owner, lease) {
    const held = this.leases.get(key);
    const now = performance.now() / 1000;
    if (held !== undefined && held.until > now) {
      return false;
    }
    this.leases.set(key, { owner, until: now + lease });
    return true;
  }

  /** @param {string} key @param {string} owner */
  async release(key, owner) {
    const held = this.leases.get(key);
    if (held !== undefined && held.owner === owner) {
      this.leases.delete(key);
    }
  }
}

/**
 * The key of one authorization: the SHA-256 of its identity, never a secret. The identity
 * is the JSON array [token URL, client id, storeKey or ""] as JSON.stringify writes it
 * (Python: json.dumps(..., ensure_ascii=False, separators=(",", ":"))), in UTF-8.
 * @param {string} tokenUrl
 * @param {string} clientId
 * @param {string|null|undefined} name
 * @returns {string}
 */
function storeKey(tokenUrl, clientId, name) {
  const identity = JSON.stringify([tokenUrl, clientId, name || '']);
  return crypto.createHash('sha256').update(identity, 'utf8').digest('hex');
}

/**
 * @typedef {{accessToken: string|null, refreshToken: string|null, expiresAt: number|null,
 *   response: Object<string, unknown>|null}} StoredToken One record: the shared token of
 *   one authorization. `expiresAt` is Unix time in seconds (the server's clock when its
 *   answer had a Date), null without expires_in; `response` is the token answer as the
 *   server sent it. A record may hold a refresh token and no access token.
 */

/**
 * A record as JSON text, `now` (Unix seconds) its updated_at; written as Python's
 * json.dumps writes it (non-ASCII characters escaped), so both languages write the same.
 * @param {StoredToken} record
 * @param {number} now
 * @returns {string}
 */
function encodeRecord(record, now) {
  const response = record.response || {};
  const text = JSON.stringify({
    version: RECORD_VERSION,
    access_token: record.accessToken,
    token_type: textOrNull(response.token_type),
    scope: textOrNull(response.scope),
    expires_at: record.expiresAt,
    refresh_token: record.refreshToken,
    response: record.response,
    updated_at: now,
  });
  return text.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A record read from `where` (a store's name), or a TokenStoreError saying what is wrong.
 * @param {string} text
 * @param {string} where
 * @returns {StoredToken}
 */
function decodeRecord(text, where) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw unreadable(where, 'it is not JSON');
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw unreadable(where, 'it is not a JSON object');
  }
  if (data.version !== RECORD_VERSION) {
    throw unreadable(where, `its version is not ${RECORD_VERSION}`);
  }
  for (const field of ['access_token', 'refresh_token']) {
    const value = data[field];
    if (value !== undefined && value !== null && (typeof value !== 'string' || value === '')) {
      throw unreadable(where, `its ${field} is not a non-empty string`);
    }
  }
  const expiresAt = data.expires_at;
  if (expiresAt !== undefined && expiresAt !== null && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) {
    throw unreadable(where, 'its expires_at is not a number');
  }
  const response = data.response;
  if (response !== undefined && response !== null && (typeof response !== 'object' || Array.isArray(response))) {
    throw unreadable(where, 'its response is not a JSON object');
  }
  return {
    accessToken: data.access_token ?? null,
    refreshToken: data.refresh_token ?? null,
    expiresAt: expiresAt ?? null,
    response: response ?? null,
  };
}

/**
 * @param {string} where
 * @param {string} problem
 * @returns {Error}
 */
function unreadable(where, problem) {
  return new TokenStoreError(`${where}: the stored record cannot be read: ${problem}`);
}

/**
 * @param {unknown} value
 * @returns {string|null}
 */
function textOrNull(value) {
  return typeof value === 'string' ? value : null;
}

module.exports = {
  MemoryTokenStore, RECORD_VERSION, TokenStore, decodeRecord, encodeRecord, storeKey,
};
