'use strict';
// Token stores in the Node runtime, as source: the rules a TokenManager follows with a store
// (token_manager.js, token_sharing.js), the record and key (token_store.js), FileTokenStore's
// files and lock protocol, and RedisTokenStore's commands for node-redis and ioredis; on a
// scripted transport. The twin of tests/runtime/test_runtime_token_store.py; real processes
// of both languages and a real Redis are in tests/test_token_store_node_fleet.py.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, test } = require('node:test');

const { RUNTIME, TokenManager, errors, scriptedClient } = require('./fixture');

const { MemoryTokenStore, TokenStore, decodeRecord, encodeRecord, storeKey } = require(path.join(RUNTIME, 'token_store.js'));
const { FileTokenStore, defaultDirectory } = require(path.join(RUNTIME, 'file_token_store.js'));
const { RedisTokenStore } = require(path.join(RUNTIME, 'redis_token_store.js'));

const TOKEN_URL = 'https://api.example.com/oauth/token';
const KEY = storeKey(TOKEN_URL, 'partner', null);
const SECRET = 'secret-0123456789';

const answer = (n, extra) => ({ access_token: `at-${n}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `rt-${n}`, ...extra });

/** A manager on `store` whose token requests `script(attempt, fields)` answers ({status, body, headers}). */
function shared(store, script, options = {}) {
  const scripted = scriptedClient((attempt, request) => script(attempt, Object.fromEntries(new URLSearchParams(request.payload.toString()))), { client: { retries: 0, ...options.client } });
  const { client: _client, ...rest } = options;
  const manager = new TokenManager({ clientId: 'partner', clientSecret: SECRET, apiClient: scripted.client, store, ...rest });
  const sent = () => scripted.requests.map((request) => Object.fromEntries(new URLSearchParams(request.payload.toString())));
  return { manager, sent, client: scripted.client };
}

const fetches = (attempt) => ({ status: 200, body: answer(attempt + 1) });

/** Stores a record as another process would: a token of an hour, `remaining` seconds left. */
async function put(store, access, refresh, remaining = 3600) {
  const response = access ? { access_token: access, token_type: 'Bearer', expires_in: 3600 } : null;
  await store.write(KEY, encodeRecord({
    accessToken: access, refreshToken: refresh, expiresAt: Date.now() / 1000 + remaining, response,
  }, Date.now() / 1000));
}

async function record(store, key = KEY) {
  return JSON.parse(await store.read(key));
}

/** A store whose every call fails, as a store that cannot be reached. */
class Broken extends TokenStore {
  constructor() {
    super();
    this.calls = 0;
  }

  fail() {
    this.calls += 1;
    throw new errors.TokenStoreError('Broken(): cannot reach the store: ECONNREFUSED');
  }

  async read() { return this.fail(); }

  async write() { this.fail(); }

  async acquire() { return this.fail(); }

  async release() { this.fail(); }
}

/** A logger that keeps what it is told. */
function keeper() {
  const lines = { warn: [], info: [] };
  return { lines, logger: { warn: (m) => lines.warn.push(m), info: (m) => lines.info.push(m) } };
}

describe('sharing a token through a store', () => {
  test('two managers of one identity share one token; other identities never do', async () => {
    const store = new MemoryTokenStore();
    const first = shared(store, fetches);
    const second = shared(store, fetches);
    assert.equal(await first.manager.getToken(), 'at-1');
    assert.equal(await second.manager.getToken(), 'at-1');
    assert.equal(second.sent().length, 0);
    const named = shared(store, fetches, { storeKey: 'merchant-42' });
    assert.equal(await named.manager.getToken(), 'at-1'); // its own transport: its own first answer
    assert.equal(named.sent().length, 1);
    assert.deepEqual([...store.records.keys()].sort(), [KEY, storeKey(TOKEN_URL, 'partner', 'merchant-42')].sort());
  });

  test('the key is the SHA-256 of the identity as Python computes it, never a secret', () => {
    assert.equal(storeKey(TOKEN_URL, 'partner', 'merchant-42'), '918e8e3d487c70f1a783256624876467f80668ff97e56c2d1253ef5890b035b6');
    assert.equal(KEY, '804ae0d2004c9e886fe6166741097245de8e51390ef3925efd6e6380d7c772f1');
  });

  test('the record holds the expiry by the server clock, written as Python writes it', async () => {
    const store = new MemoryTokenStore();
    const date = new Date(Date.now() - 120000); // the server is two minutes behind
    const { manager } = shared(store, () => ({ status: 200, body: answer(1, { scope: 'read' }), headers: { date: date.toUTCString() } }));
    await manager.getToken();
    const text = await store.read(KEY);
    const written = JSON.parse(text);
    assert.deepEqual(Object.keys(written), ['version', 'access_token', 'token_type', 'scope', 'expires_at', 'refresh_token', 'response', 'updated_at']);
    assert.equal(written.expires_at, Math.floor(date.getTime() / 1000) + 3600);
    assert.deepEqual([written.access_token, written.refresh_token, written.token_type, written.scope], ['at-1', 'rt-1', 'Bearer', 'read']);
    assert.deepEqual(written.response, answer(1, { scope: 'read' }));
    assert.equal(encodeRecord({ accessToken: 'a', refreshToken: null, expiresAt: null, response: { x: 'ü' } }, 2).includes('"\\u00fc"'), true);
  });

  test('a Date more than ten minutes off, or none, leaves the expiry to this machine', async () => {
    for (const date of [new Date(Date.now() - 3600000).toUTCString(), 'not a date']) {
      const store = new MemoryTokenStore();
      const { manager } = shared(store, () => ({ status: 200, body: answer(1), headers: { date } }));
      await manager.getToken();
      assert.ok(Math.abs((await record(store)).expires_at - (Date.now() / 1000 + 3600)) < 5, date);
    }
  });

  test('a stale record is renewed with its refresh token, which wins over the constructor one', async () => {
    const store = new MemoryTokenStore();
    await put(store, 'at-0', 'rt-stored', 30); // within the margin
    const { manager, sent } = shared(store, fetches, { refreshToken: 'rt-given' });
    assert.equal(await manager.getToken(), 'at-1');
    assert.equal(sent()[0].refresh_token, 'rt-stored');
    assert.equal((await record(store)).refresh_token, 'rt-1');
  });

  test('an adopted token is served from memory, renewed before the stored expiry with jitter', async () => {
    const store = new MemoryTokenStore();
    await put(store, 'at-0', 'rt-0', 600);
    const now = { t: 0 };
    const { manager, sent } = shared(store, fetches, { clock: () => now.t });
    assert.equal(await manager.getToken(), 'at-0');
    const expiresAt = manager.state.expiresAt;
    assert.ok(expiresAt <= 540 + 0.5 && expiresAt >= 540 - 6 - 0.5, String(expiresAt)); // 600 - 60, minus up to 6 s
    await store.write(KEY, 'not JSON'); // a fresh token is served from memory: the store is not read
    assert.equal(await manager.getToken(), 'at-0');
    assert.equal(sent().length, 0);
  });

  test('onToken is called only where the token was fetched', async () => {
    const store = new MemoryTokenStore();
    const seen = [];
    await shared(store, fetches, { onToken: (t) => seen.push(['first', t.access_token]) }).manager.getToken();
    await shared(store, fetches, { onToken: (t) => seen.push(['second', t.access_token]) }).manager.getToken();
    assert.deepEqual(seen, [['first', 'at-1']]);
  });

  test('invalidate(token) drops the shared token only while the record holds it, keeping the refresh token', async () => {
    const store = new MemoryTokenStore();
    const { manager } = shared(store, fetches);
    const token = await manager.getToken();
    await put(store, 'at-other', 'rt-other');
    await manager.invalidate(token);
    assert.equal((await record(store)).access_token, 'at-other');
    await put(store, token, 'rt-1');
    await manager.invalidate(token);
    const written = await record(store);
    assert.deepEqual([written.access_token, written.expires_at, written.response, written.refresh_token], [null, null, null, 'rt-1']);
  });

  test('an invalidated token still in the store is not taken again', async () => {
    const store = new MemoryTokenStore();
    const { manager, sent } = shared(store, fetches);
    await put(store, 'at-bad', 'rt-0');
    assert.equal(await manager.getToken(), 'at-bad');
    store.leases.set(KEY, { owner: 'someone', until: Infinity }); // invalidate cannot change the record
    await manager.invalidate('at-bad');
    assert.equal((await record(store)).access_token, 'at-bad');
    store.leases.clear();
    assert.equal(await manager.getToken(), 'at-1');
    assert.equal(sent()[0].refresh_token, 'rt-0');
  });

  test('invalid_grant takes the refresh token another process rotated meanwhile', async () => {
    const store = new MemoryTokenStore();
    const script = (attempt, fields) => {
      if (fields.refresh_token === 'rt-spent') {
        return { status: 400, body: { error: 'invalid_grant' } };
      }
      return { status: 200, body: answer(attempt + 1) };
    };
    const { manager, sent } = shared(store, script, { refreshToken: 'rt-spent' });
    // Another process rotated rt-spent while this one was sending it: its record is stale.
    const realRead = store.read.bind(store);
    let reads = 0;
    store.read = async (key) => {
      reads += 1;
      if (reads === 3) { // after the lease was taken: the refresh is under way, the other one writes
        await put(store, 'at-9', 'rt-9', 30);
      }
      return realRead(key);
    };
    assert.equal(await manager.getToken(), 'at-2');
    assert.deepEqual(sent().map((f) => f.refresh_token), ['rt-spent', 'rt-9']);
    assert.equal((await record(store)).refresh_token, 'rt-2');
  });

  test('invalid_grant with the store\'s own refresh token drops it there too', async () => {
    const store = new MemoryTokenStore();
    await put(store, null, 'rt-dead');
    const { manager, sent } = shared(store, (attempt, fields) => (fields.grant_type === 'refresh_token'
      ? { status: 400, body: { error: 'invalid_grant' } } : { status: 200, body: answer(7, { refresh_token: undefined }) }));
    assert.equal(await manager.getToken(), 'at-7');
    assert.deepEqual(sent().map((f) => f.grant_type), ['refresh_token', 'client_credentials']);
    const written = await record(store);
    assert.deepEqual([written.access_token, written.refresh_token], ['at-7', null]);
  });

  test('a refused answer that rotates the refresh token stores the new one', async () => {
    const store = new MemoryTokenStore();
    const { manager } = shared(store, () => ({ status: 200, body: answer(1, { expires_in: -5 }) }), { refreshToken: 'rt-0' });
    await assert.rejects(manager.getToken(), errors.MalformedResponseError);
    const written = await record(store);
    assert.deepEqual([written.access_token, written.refresh_token], [null, 'rt-1']);
  });

  test('exchangeCode writes the new authorization', async () => {
    const store = new MemoryTokenStore();
    const { manager } = shared(store, fetches);
    await manager.exchangeCode('code-1');
    assert.equal((await record(store)).refresh_token, 'rt-1');
  });
});

describe('leases and waits', () => {
  test('a waiter takes the token the lease holder writes, sending nothing', async () => {
    const store = new MemoryTokenStore();
    store.leases.set(KEY, { owner: 'holder', until: Infinity });
    const { manager, sent } = shared(store, fetches);
    setTimeout(() => put(store, 'at-holder', 'rt-holder'), 50);
    assert.equal(await manager.getToken(), 'at-holder');
    assert.equal(sent().length, 0);
  });

  test('a wait is bounded by the lease and the request timeout, then a warning and a local fetch', async () => {
    const store = new MemoryTokenStore();
    store.leases.set(KEY, { owner: 'holder', until: Infinity });
    const { lines, logger } = keeper();
    const { manager, sent } = shared(store, fetches, { lease: 0.2, client: { timeout: 100, logger } });
    const started = performance.now();
    assert.equal(await manager.getToken(), 'at-1');
    const waited = performance.now() - started;
    assert.ok(waited >= 400 && waited < 2000, String(waited)); // lease 0.2 s + request 0.2 s
    assert.equal(sent().length, 1);
    assert.equal(lines.warn.length, 1);
    assert.match(lines.warn[0], /^MemoryTokenStore\(\): no token after waiting 0\.\d s for the process renewing it; this process fetches its own token meanwhile$/);
  });

  test('the lease is given back after a failed fetch', async () => {
    const store = new MemoryTokenStore();
    const { manager } = shared(store, (attempt) => (attempt === 0 ? { status: 503, body: {} } : { status: 200, body: answer(1) }));
    await assert.rejects(manager.getToken(), errors.ServiceException);
    assert.equal(store.leases.size, 0);
    assert.equal(await manager.getToken(), 'at-1');
  });
});

describe('a store that fails', () => {
  test('is reported once (the client logger, else process.emitWarning) while the manager fetches; then INFO', async () => {
    const store = new Broken();
    const { lines, logger } = keeper();
    const { manager, sent } = shared(store, fetches, { client: { logger } });
    assert.equal(await manager.getToken(), 'at-1');
    manager.invalidate();
    assert.equal(await manager.getToken(), 'at-2');
    assert.equal(sent().length, 2);
    assert.deepEqual(lines.warn, ['Broken(): cannot reach the store: ECONNREFUSED; this process fetches its own token meanwhile']);
    store.read = async () => null;
    store.acquire = async () => true;
    store.write = async () => {};
    store.release = async () => {};
    manager.invalidate();
    await manager.getToken();
    assert.deepEqual(lines.info.filter((line) => line.includes('answers again')), ['Broken() answers again; the token is shared again']);
    const warnings = [];
    const listen = (warning) => warnings.push(warning);
    process.on('warning', listen);
    try {
      const alone = shared(new Broken(), fetches);
      await alone.manager.getToken();
      await alone.manager.getToken();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listen);
    }
    assert.deepEqual(warnings.map((w) => [w.name, w.message.includes(SECRET) || w.message.includes('at-1')]), [['TokenStoreWarning', false]]);
  });

  test('while it fails, a token that has not really expired is kept and the store asked each second', async () => {
    const store = new MemoryTokenStore();
    let now = 1000;
    const { manager, sent } = shared(store, fetches, { clock: () => now, client: { logger: keeper().logger } });
    assert.equal(await manager.getToken(), 'at-1');
    const read = store.read.bind(store);
    let reads = 0;
    store.read = async () => { reads += 1; throw new errors.TokenStoreError('MemoryTokenStore(): down'); };
    now += 3600 - 50; // within the leeway: renewed if the store answered
    for (let second = 0; second < 30; second += 1) {
      assert.equal(await manager.getToken(), 'at-1'); // no refresh token spent alone
      now += 1;
    }
    assert.equal(sent().length, 1);
    assert.ok(reads >= 25 && reads <= 31, `${reads} store reads`);
    store.read = read;
    await put(store, 'at-1', 'rt-1', 20); // as the stored token is by now
    assert.equal(await manager.getToken(), 'at-2');
    assert.equal((await record(store)).refresh_token, 'rt-2');
  });

  test('a record that cannot be read still leaves one renewal to the lease', async () => {
    const store = new MemoryTokenStore();
    await store.write(KEY, '{cut short');
    const first = shared(store, fetches, { refreshToken: 'rt-0', client: { logger: keeper().logger } });
    const second = shared(store, fetches, { refreshToken: 'rt-0', client: { logger: keeper().logger } });
    assert.equal(await first.manager.getToken(), 'at-1');
    assert.equal(await second.manager.getToken(), 'at-1'); // the record the first wrote
    assert.equal(first.sent().length + second.sent().length, 1);
  });

  test("onStoreError 'raise' rejects with TokenStoreError (an ApiError), sending nothing", async () => {
    const { manager, sent } = shared(new Broken(), fetches, { onStoreError: 'raise' });
    const error = await manager.getToken().then(() => null, (e) => e);
    assert.ok(error instanceof errors.TokenStoreError && error instanceof errors.ApiError);
    assert.equal(error.name, 'TokenStoreError');
    assert.equal(sent().length, 0);
  });

  test("'raise' keeps a fetched token whose write failed, and rejects", async () => {
    const store = new MemoryTokenStore();
    store.write = async () => { throw new errors.TokenStoreError('MemoryTokenStore(): full'); };
    const { manager, sent } = shared(store, fetches, { onStoreError: 'raise' });
    await assert.rejects(manager.getToken(), errors.TokenStoreError);
    assert.equal(manager.token.access_token, 'at-1');
    assert.equal(await manager.getToken(), 'at-1');
    assert.equal(sent().length, 1);
  });

  test('a record that cannot be read is reported and replaced', async () => {
    for (const bad of ['{"version": 1, "access_token": ', '[]', '{"version":2}', '{"version":1,"access_token":7}', '{"version":1,"expires_at":"soon"}', '{"version":1,"response":[]}']) {
      const store = new MemoryTokenStore();
      await store.write(KEY, bad);
      const { lines, logger } = keeper();
      const { manager } = shared(store, fetches, { client: { logger } });
      assert.equal(await manager.getToken(), 'at-1', bad);
      assert.equal(lines.warn.length, 1);
      assert.match(lines.warn[0], /^MemoryTokenStore\(\): the stored record cannot be read: /);
      assert.equal((await record(store)).access_token, 'at-1');
    }
    assert.throws(() => decodeRecord('{"version":1,"refresh_token":""}', 'S'), /S: the stored record cannot be read: its refresh_token is not a non-empty string/);
  });

  test('a stored answer the operation cannot give is refused as a store error', async () => {
    const store = new MemoryTokenStore();
    await store.write(KEY, encodeRecord({ accessToken: 'at-0', refreshToken: null, expiresAt: Date.now() / 1000 + 3600, response: { expires_in: 3600 } }, 0));
    const { manager } = shared(store, fetches, { onStoreError: 'raise' });
    await assert.rejects(manager.getToken(), /MemoryTokenStore\(\): the stored token answer is not one this token operation gives/);
  });

  test('bad store options are named', () => {
    const make = (options) => () => new TokenManager({ clientId: 'partner', clientSecret: SECRET, ...options });
    assert.throws(make({ store: {} }), errors.ApiTypeError);
    assert.throws(make({ storeKey: 'merchant' }), /storeKey names a record in a store: pass store too/);
    assert.throws(make({ store: new MemoryTokenStore(), storeKey: '' }), errors.ApiValueError);
    assert.throws(make({ store: new MemoryTokenStore(), lease: 0 }), /lease must be a positive number of seconds/);
    assert.throws(make({ store: new MemoryTokenStore(), onStoreError: 'ignore' }), /onStoreError must be 'warn' or 'raise'/);
  });
});

function folder() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tokenworks-store-'));
}

describe('FileTokenStore', () => {
  test('shares between managers with private files: folder 0700, files 0600, nothing left over', async () => {
    const dir = path.join(folder(), 'tokens');
    const first = shared(new FileTokenStore(dir), fetches);
    await first.manager.getToken();
    assert.equal(await shared(new FileTokenStore(dir), fetches).manager.getToken(), 'at-1');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(fs.readdirSync(dir), [`${KEY}.json`]);
    assert.equal(fs.statSync(path.join(dir, `${KEY}.json`)).mode & 0o777, 0o600);
    assert.equal(String(new FileTokenStore(dir)), `FileTokenStore('${dir}')`);
  });

  test('a record other users can read, or a folder they can write to, is refused', async () => {
    const dir = folder();
    const store = new FileTokenStore(dir);
    await store.write(KEY, 'x');
    fs.chmodSync(path.join(dir, `${KEY}.json`), 0o644);
    await assert.rejects(store.read(KEY), /can be read by other users \(mode 0644\); not used/);
    await assert.rejects(store.write(KEY, 'y'), /can be read by other users/);
    const open = folder();
    fs.chmodSync(open, 0o777);
    await assert.rejects(new FileTokenStore(open).read(KEY), /other users can write to the folder \(mode 0777\)/);
    const blocked = path.join(folder(), 'a-file');
    fs.writeFileSync(blocked, '');
    await assert.rejects(new FileTokenStore(path.join(blocked, 'tokens')).read(KEY), /cannot make the folder tokens: (ENOTDIR|EEXIST)/);
  });

  test('a folder removed under the store is made again on the next call', async () => {
    const dir = path.join(folder(), 'tokens');
    const store = new FileTokenStore(dir);
    await put(store, 'at-1', 'rt-1');
    fs.rmSync(dir, { recursive: true });
    await assert.rejects(put(store, 'at-2', 'rt-2'), /cannot write/);
    await put(store, 'at-2', 'rt-2');
    assert.equal((await record(store)).access_token, 'at-2');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  });

  test('the default folder: $TOKENWORKS_CACHE_DIR, else XDG_CACHE_HOME or ~/.cache', () => {
    const saved = { ...process.env };
    try {
      process.env.TOKENWORKS_CACHE_DIR = '/srv/tokens';
      assert.equal(defaultDirectory(), '/srv/tokens');
      delete process.env.TOKENWORKS_CACHE_DIR;
      process.env.XDG_CACHE_HOME = '/xdg';
      assert.equal(defaultDirectory(), process.platform === 'linux' ? '/xdg/tokenworks' : defaultDirectory());
      process.env.XDG_CACHE_HOME = 'relative';
      assert.equal(defaultDirectory(), process.platform === 'linux' ? path.join(os.homedir(), '.cache', 'tokenworks') : defaultDirectory());
    } finally {
      process.env = saved;
    }
  });

  test('a lease has one owner at a time, is given back only by its owner, and is broken when it ran out', async () => {
    const dir = folder();
    const store = new FileTokenStore(dir);
    assert.equal(await store.acquire(KEY, 'a', 30), true);
    assert.equal(await store.acquire(KEY, 'b', 30), false);
    await store.release(KEY, 'b');
    assert.equal(await store.acquire(KEY, 'b', 30), false);
    const lock = JSON.parse(fs.readFileSync(path.join(dir, `${KEY}.lock`), 'utf8'));
    assert.deepEqual(Object.keys(lock), ['owner', 'expires_at', 'host', 'pid']);
    assert.deepEqual([lock.owner, lock.pid], ['a', process.pid]);
    await store.release(KEY, 'a');
    assert.equal(await store.acquire(KEY, 'b', 0.05), true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(await store.acquire(KEY, 'c', 30), true); // b's lease ran out
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, `${KEY}.lock`), 'utf8')).owner, 'c');
    assert.deepEqual(fs.readdirSync(dir).sort(), [`${KEY}.lock`]);
  });

  test('an unreadable lock ages from its mtime; a breaker left by a dead process is removed', async () => {
    const dir = folder();
    const store = new FileTokenStore(dir);
    const lock = path.join(dir, `${KEY}.lock`);
    await store.read(KEY); // makes the folder
    fs.writeFileSync(lock, 'garbage', { mode: 0o600 });
    assert.equal(await store.acquire(KEY, 'a', 30), false);
    const old = new Date(Date.now() - 60000);
    fs.utimesSync(lock, old, old);
    const breaker = path.join(dir, `${KEY}.lock.break`);
    fs.writeFileSync(breaker, '', { mode: 0o600 });
    assert.equal(await store.acquire(KEY, 'a', 30), false); // someone is breaking it
    fs.utimesSync(breaker, old, old); // ...for a minute: that process died
    assert.equal(await store.acquire(KEY, 'a', 30), true);
    assert.equal(fs.existsSync(breaker), false);
  });

  test('many racing for a lease that ran out: exactly one wins', async () => {
    const dir = folder();
    const stores = Array.from({ length: 8 }, () => new FileTokenStore(dir));
    await stores[0].acquire(KEY, 'dead', 0.01);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const won = await Promise.all(stores.map((store, i) => store.acquire(KEY, `o${i}`, 30)));
    assert.equal(won.filter(Boolean).length, 1);
  });
});

/** A node-redis-shaped client (isOpen; options objects) over a Map. */
function nodeRedis(data = new Map()) {
  return {
    isOpen: true,
    calls: [],
    async get(key) { this.calls.push(['get', key]); return data.has(key) ? data.get(key) : null; },
    async set(key, value, options) {
      this.calls.push(['set', key, options]);
      if (options && options.NX && data.has(key)) return null;
      data.set(key, value);
      return 'OK';
    },
    async eval(script, { keys, arguments: args }) {
      this.calls.push(['eval', keys, args]);
      if (data.get(keys[0]) === args[0]) { data.delete(keys[0]); return 1; }
      return 0;
    },
  };
}

/** An ioredis-shaped client (positional arguments) over a Map, answering Buffers. */
function ioredis(data = new Map()) {
  return {
    status: 'ready',
    calls: [],
    async get(key) { this.calls.push(['get', key]); return data.has(key) ? Buffer.from(data.get(key)) : null; },
    async set(key, value, ...rest) {
      this.calls.push(['set', key, ...rest]);
      if (rest.includes('NX') && data.has(key)) return null;
      data.set(key, value);
      return 'OK';
    },
    async eval(script, count, key, owner) {
      this.calls.push(['eval', count, key]);
      if (data.get(key) === owner) { data.delete(key); return 1; }
      return 0;
    },
  };
}

describe('RedisTokenStore', () => {
  for (const [name, make, setCall] of [
    ['node-redis', nodeRedis, (ms) => [{ NX: true, PX: ms }]],
    ['ioredis', ioredis, (ms) => ['PX', ms, 'NX']],
  ]) {
    test(`${name}: <prefix><key> and <prefix><key>:lock, SET NX PX and the owner's release`, async () => {
      const client = make();
      const store = new RedisTokenStore(client, { prefix: 'p:' });
      assert.equal(await store.read('k'), null);
      await store.write('k', 'record');
      assert.equal(await store.read('k'), 'record');
      assert.equal(await store.acquire('k', 'me', 1.5), true);
      assert.equal(await store.acquire('k', 'you', 1.5), false);
      await store.release('k', 'you');
      assert.equal(await store.acquire('k', 'you', 1.5), false);
      await store.release('k', 'me');
      assert.equal(await store.acquire('k', 'you', 1.5), true);
      assert.deepEqual(client.calls[3], ['set', 'p:k:lock', ...setCall(1500)]);
      assert.ok(client.calls.some((call) => call[0] === 'eval'));
      const { manager } = shared(new RedisTokenStore(client), fetches);
      assert.equal(await manager.getToken(), 'at-1');
      assert.equal(await shared(new RedisTokenStore(client), fetches).manager.getToken(), 'at-1');
    });
  }

  test('takes only a client with get, set and eval; its failures and silences are store errors', async () => {
    assert.throws(() => new RedisTokenStore({ get() {}, set() {} }), /it has no eval\(\)/);
    assert.throws(() => new RedisTokenStore(nodeRedis(), { prefix: 7 }), /prefix must be a string/);
    const failing = nodeRedis();
    failing.get = async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:6379'); };
    await assert.rejects(new RedisTokenStore(failing).read('k'), {
      name: 'TokenStoreError', message: "RedisTokenStore(prefix='tokenworks:'): cannot read: Error: connect ECONNREFUSED 127.0.0.1:6379",
    });
    const silent = nodeRedis();
    silent.get = () => new Promise(() => {}); // a client queueing commands while Redis is down
    await assert.rejects(new RedisTokenStore(silent, { timeout: 50 }).read('k'), /cannot read: no answer in 50 ms/);
    const binary = ioredis(new Map([['tokenworks:k', '\xff']]));
    binary.get = async () => Buffer.from([0xff]);
    await assert.rejects(new RedisTokenStore(binary).read('k'), /the stored record is not UTF-8 text/);
    assert.equal(require('node:util').inspect(new RedisTokenStore(nodeRedis())).includes('calls'), false);
  });
});
