'use strict';
// RedisTokenStore: tokens shared by processes on many machines, through Redis; the twin of
// the Python packages' _redis_token_store.py, on the same keys: a Python process and a
// Node.js process share one Redis store.
//
// It takes a client the user built, so TLS, ACLs and topology are the user's choice, and
// this package needs no Redis library (an optional peer dependency): node-redis 4+
// (createClient, createCluster: recognised by its `isOpen`), called as
// set(key, value, {NX: true, PX: ms}) and eval(script, {keys, arguments}); or ioredis (Redis,
// Cluster), called as set(key, value, 'PX', ms, 'NX') and eval(script, 1, key, owner). A
// lease is SET <lock key> <owner> NX PX <ms>, given back by a script that deletes it only
// while it still holds the owner. Every command waits at most `timeout` ms: a client that
// queues commands while Redis is down would otherwise hold the manager forever.

const { TokenStoreError } = require('./errors.js');
const { TokenStore } = require('./token_store.js');

/** Deletes the lease only if the caller still owns it (the same script as Python's). */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
`;

/** How long a command may take, in ms, unless told otherwise. */
const DEFAULT_TIMEOUT = 5000;

/**
 * @typedef {{get: Function, set: Function, eval: Function, isOpen?: boolean}} RedisClient
 */

/**
 * Keeps shared tokens in Redis: <prefix><key> the record, <prefix><key>:lock the lease.
 * The client is a connected node-redis (4+) or ioredis client; its answers may be strings
 * or Buffers.
 */
class RedisTokenStore extends TokenStore {
  /**
   * @param {RedisClient} client
   * @param {{prefix?: string, timeout?: number}} [options] prefix, put before every key
   *   (default 'tokenworks:'); timeout, the ms one command may take (default 5000).
   */
  constructor(client, options = {}) {
    super();
    for (const method of ['get', 'set', 'eval']) {
      if (client === null || typeof client !== 'object' || typeof /** @type {any} */ (client)[method] !== 'function') {
        throw new TypeError(`RedisTokenStore: client must be a node-redis or ioredis client (it has no ${method}())`);
      }
    }
    const { prefix = 'tokenworks:', timeout = DEFAULT_TIMEOUT } = options;
    if (typeof prefix !== 'string') {
      throw new TypeError(`RedisTokenStore: prefix must be a string, got ${typeof prefix}`);
    }
    if (typeof timeout !== 'number' || !(timeout > 0)) {
      throw new TypeError('RedisTokenStore: timeout must be a positive number of ms');
    }
    /** @type {RedisClient} */
    this.client = client;
    Object.defineProperty(this, 'client', { enumerable: false }); // out of console output
    /** @type {string} */
    this.prefix = prefix;
    /** @type {number} */
    this.timeout = timeout;
    /** Whether the client is node-redis (options objects) rather than ioredis (arguments). */
    this.nodeRedis = 'isOpen' in client;
  }

  toString() {
    return `RedisTokenStore(prefix=${JSON.stringify(this.prefix).replace(/^"|"$/g, "'")})`;
  }

  /** @param {string} key */
  async read(key) {
    const value = await this.run('cannot read', () => this.client.get(this.prefix + key));
    if (value === null || value === undefined) {
      return null;
    }
    if (Buffer.isBuffer(value)) {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(value);
      } catch {
        throw new TokenStoreError(`${this}: the stored record is not UTF-8 text`);
      }
    }
    return String(value);
  }

  /** @param {string} key @param {string} record */
  async write(key, record) {
    await this.run('cannot write', () => this.client.set(this.prefix + key, record));
  }

  /** @param {string} key @param {string} owner @param {number} lease */
  async acquire(key, owner, lease) {
    const ms = Math.max(1, Math.floor(lease * 1000));
    const lock = this.lockKey(key);
    const taken = await this.run('cannot take the lease', () => (this.nodeRedis
      ? this.client.set(lock, owner, { NX: true, PX: ms })
      : this.client.set(lock, owner, 'PX', ms, 'NX')));
    return taken !== null && taken !== undefined;
  }

  /** @param {string} key @param {string} owner */
  async release(key, owner) {
    const lock = this.lockKey(key);
    await this.run('cannot give the lease back', () => (this.nodeRedis
      ? this.client.eval(RELEASE_SCRIPT, { keys: [lock], arguments: [owner] })
      : this.client.eval(RELEASE_SCRIPT, 1, lock, owner)));
  }

  /**
   * @param {string} key
   * @returns {string}
   */
  lockKey(key) {
    return `${this.prefix}${key}:lock`;
  }

  /**
   * One command, at most `timeout` ms; any failure of the client is the store's failure.
   * @param {string} what
   * @param {() => unknown} command
   * @returns {Promise<any>}
   */
  run(what, command) {
    /** @type {NodeJS.Timeout|undefined} */
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new TokenStoreError(`${this}: ${what}: no answer in ${this.timeout} ms`)), this.timeout);
    });
    const answer = Promise.resolve().then(command).catch((error) => {
      const name = error instanceof Error ? error.name : typeof error;
      const message = error instanceof Error ? error.message : String(error);
      throw new TokenStoreError(`${this}: ${what}: ${name}: ${message}`);
    });
    return Promise.race([answer, late]).finally(() => clearTimeout(timer));
  }
}

module.exports = { RELEASE_SCRIPT, RedisTokenStore };
