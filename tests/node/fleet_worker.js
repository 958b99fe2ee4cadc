'use strict';
// One Node.js process of a fleet: a TokenManager of the CyberSource Node package with a
// token store; the twin of tests/fleet_worker.py, so that tests/test_token_store_node_fleet.py
// can mix Python and Node.js processes on one store.
//
//   node tests/node/fleet_worker.js --host URL --store file:DIR|redis:URL|none [...]
//
// It builds the manager, prints `ready`, waits for a line on stdin, then does its --mode
// and prints one JSON line:
// - once: --threads concurrent getToken() calls; {"tokens": [...]};
// - rotate: --rounds times, getToken() then invalidate(token), which forces a renewal;
//   {"tokens": [...], "refresh_token": ...};
// - expire: getToken() until --seconds have passed; {"tokens": [distinct tokens seen]}.
// A failure prints {"error": class name, "message": text} and exits 1. Warnings go to
// stderr, as Node prints them. --redis-client node-redis (default) or ioredis.

const path = require('node:path');
const readline = require('node:readline');

const PACKAGE = path.resolve(__dirname, '..', '..', 'generated', 'cybersource-node');

/** The command line as {name: value}, with the Python worker's defaults. */
function parseArguments(argv) {
  const options = {
    host: undefined,
    store: 'none',
    clientId: '5b1e8c4a-2f3d-4a6b-9c7e-1d0f2a3b4c5d',
    clientSecret: 'cs-fleet-Q9x',
    refreshToken: undefined,
    mode: 'once',
    threads: '1',
    rounds: '1',
    seconds: '1',
    lease: '30',
    timeout: '10',
    onStoreError: 'warn',
    redisClient: 'node-redis',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!Object.hasOwn(options, name)) {
      throw new Error(`unknown option ${argv[i]}`);
    }
    options[name] = argv[i + 1];
  }
  return options;
}

/** A connected Redis client of the chosen library; one that cannot connect fails each command. */
async function redisClient(kind, url) {
  if (kind === 'ioredis') {
    const Redis = require('ioredis');
    const client = new Redis(url, {
      lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null,
    });
    client.on('error', () => {});
    await client.connect().catch(() => {});
    return { client, close: () => client.disconnect() };
  }
  const { createClient } = require('redis');
  const client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect().catch(() => {});
  return { client, close: () => (client.isOpen ? client.destroy() : undefined) };
}

async function buildStore(CyberSource, options) {
  const colon = options.store.indexOf(':');
  const kind = colon < 0 ? options.store : options.store.slice(0, colon);
  const where = options.store.slice(colon + 1);
  if (kind === 'file') {
    return { store: new CyberSource.FileTokenStore(where), close: () => {} };
  }
  if (kind === 'redis') {
    const { client, close } = await redisClient(options.redisClient, where);
    return { store: new CyberSource.RedisTokenStore(client, { prefix: 'tokenworks:', timeout: 1000 }), close };
  }
  return { store: undefined, close: () => {} };
}

async function run(manager, options) {
  if (options.mode === 'once') {
    const calls = Array.from({ length: Number(options.threads) }, () => manager.getToken());
    return { tokens: await Promise.all(calls) };
  }
  if (options.mode === 'rotate') {
    const seen = [];
    for (let round = 0; round < Number(options.rounds); round += 1) {
      const token = await manager.getToken();
      seen.push(token);
      await manager.invalidate(token);
    }
    return { tokens: seen, refresh_token: manager.refreshToken };
  }
  const seen = [];
  const ends = performance.now() + Number(options.seconds) * 1000;
  while (performance.now() < ends) {
    const token = await manager.getToken();
    if (seen[seen.length - 1] !== token) {
      seen.push(token);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { tokens: seen, refresh_token: manager.refreshToken };
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const CyberSource = require(PACKAGE);
  const { store, close } = await buildStore(CyberSource, options);
  const timeout = Number(options.timeout) * 1000;
  const manager = new CyberSource.TokenManager({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    apiClient: new CyberSource.ApiClient({ basePath: options.host, timeout }),
    store,
    lease: Number(options.lease),
    onStoreError: options.onStoreError,
    ...(options.refreshToken === undefined ? {} : { refreshToken: options.refreshToken }),
  });
  process.stdout.write('ready\n');
  const lines = readline.createInterface({ input: process.stdin });
  await new Promise((resolve) => lines.once('line', resolve));
  lines.close();
  let code = 0;
  try {
    process.stdout.write(`${JSON.stringify(await run(manager, options))}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: error.name, message: error.message })}\n`);
    code = 1;
  }
  await close();
  process.exit(code);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(2);
});
