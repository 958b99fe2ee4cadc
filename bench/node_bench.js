'use strict';
// The CyberSource Node package against raw node:http in the same run, for bench/run.py.
//
//   node bench/node_bench.js <token server URL> [--quick] [--package <folder>]
//
// Prints one JSON object:
// - call: client-process CPU (process.cpuUsage, user + system) per documented call over a
//   keep-alive connection to bench/server.py, the package's Promise form against the same
//   POST sent with http.request (form encoded per call) + status check + JSON.parse, and that
//   again with a socket timeout as Node users set one; each side has its own keep-alive
//   agent; the sides take turns call by call, in an order that rotates and reverses, so that
//   a busy machine slows them alike; the ratio is the median of per-round ratios.
// - require: milliseconds of require() of the package in a fresh node process, next to a
//   fresh process that requires only http and https (pairs, order alternating); the
//   difference is the median of per-pair differences.
// - cached: nanoseconds per cached `await manager.getToken()` (the manager holds a fresh
//   token) without a store, with a MemoryTokenStore and with a FileTokenStore; the sides take
//   turns round by round; the extra of a store is the median of per-round differences.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const packageAt = process.argv.indexOf('--package');
/** The package measured: generated/cybersource-node, or another build of it (--package). */
const PACKAGE_DIR = path.resolve(packageAt > 0 ? process.argv[packageAt + 1] : path.join(__dirname, '..', 'generated', 'cybersource-node'));
const TOKEN_PATH = '/oauth2/v3/token';
const CORRELATION_ID = '7d5b4a8e-2f0c-4d1e-9a3b-6c8f1e2d4b5a';
const FIELDS = {
  client_id: 'partner-client-id',
  client_secret: 'partner-client-secret',
  grant_type: 'refresh_token',
  refresh_token: 'stored-refresh-token',
};

const FULL = { calls: 200, rounds: 31, warmup: 500, requireRounds: 21, cachedCalls: 20000 };
const QUICK = { calls: 50, rounds: 5, warmup: 300, requireRounds: 5, cachedCalls: 5000 };

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function quartiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted[sorted.length >> 2], sorted[(3 * sorted.length) >> 2]];
}

// Each side has a keep-alive agent of its own, as each side of the Python bench has its own
// pool: a socket one side left a timeout on is never handed to another.

/** The documented call through one reused ApiClient; resolves the access token. */
function packageSide(host) {
  const CyberSource = require(PACKAGE_DIR);
  const client = new CyberSource.ApiClient(host);
  client.agent = new http.Agent({ keepAlive: true });
  const api = new CyberSource.OAuthApi(client);
  return async () => {
    const request = new CyberSource.CreateAccessTokenRequest(FIELDS);
    const data = await api.createAccessToken(request, { vCClientCorrelationId: CORRELATION_ID });
    return data.access_token;
  };
}

/**
 * The same POST with http.request on the global (keep-alive) agent: the form encoded with
 * URLSearchParams (as bench/cases.py's raw side urlencodes it on each call), status check,
 * JSON.parse. With `readTimeout`, also the socket timeout the package sets.
 */
function rawSide(host, headers, readTimeout) {
  const url = new URL(TOKEN_PATH, host);
  const agent = new http.Agent({ keepAlive: true });
  return () => new Promise((resolve, reject) => {
    const body = Buffer.from(new URLSearchParams(FIELDS).toString());
    const options = { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(body.length) } };
    const req = http.request(url, options, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`HTTP ${res.statusCode}`));
          return;
        }
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')).access_token);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (readTimeout) {
      req.setTimeout(readTimeout, () => req.destroy(new Error('timed out')));
    }
    req.end(body);
  });
}

/** The headers the package sends, seen by a one-shot local server. */
async function packageHeaders() {
  const CyberSource = require(PACKAGE_DIR);
  let seen;
  const server = http.createServer((req, res) => {
    seen = req.headers;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"access_token":"t"}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api = new CyberSource.OAuthApi(new CyberSource.ApiClient(`http://127.0.0.1:${server.address().port}`));
  try {
    await api.createAccessToken(new CyberSource.CreateAccessTokenRequest(FIELDS), { vCClientCorrelationId: CORRELATION_ID });
  } finally {
    server.close();
    server.closeAllConnections();
  }
  const headers = {};
  for (const name of ['user-agent', 'accept', 'content-type', 'v-c-client-correlation-id']) {
    headers[name] = seen[name];
  }
  return headers;
}

/** [CPU seconds, wall seconds] of one call. */
async function timed(call) {
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  await call();
  const used = process.cpuUsage(cpu);
  return [(used.user + used.system) / 1e6, Number(process.hrtime.bigint() - wall) / 1e9];
}

async function benchCalls(host, settings) {
  const headers = await packageHeaders();
  const sides = { package: packageSide(host), raw: rawSide(host, headers), rawTimeout: rawSide(host, headers, 30000) };
  const names = Object.keys(sides);
  const tokens = new Set(await Promise.all(names.map((name) => sides[name]())));
  if (tokens.size !== 1 || [...tokens][0].length < 100) {
    throw new Error('the sides did not get the same token');
  }
  for (let i = 0; i < settings.warmup; i += 1) {
    for (const name of names) {
      await sides[name]();
    }
  }
  const cpu = Object.fromEntries(names.map((name) => [name, []]));
  const wall = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < settings.rounds; round += 1) {
    const sums = Object.fromEntries(names.map((name) => [name, [0, 0]]));
    global.gc?.();
    for (let call = 0; call < settings.calls; call += 1) {
      // The sides take turns call by call, each first, last and in between equally often:
      // whatever else the machine does hits them alike.
      const shift = call % names.length;
      const order = names.slice(shift).concat(names.slice(0, shift));
      if ((call / names.length) & 1) {
        order.reverse();
      }
      for (const name of order) {
        const [cpuSeconds, wallSeconds] = await timed(sides[name]);
        sums[name][0] += cpuSeconds;
        sums[name][1] += wallSeconds;
      }
    }
    for (const name of names) {
      cpu[name].push(sums[name][0] / settings.calls);
      wall[name].push(sums[name][1] / settings.calls);
    }
  }
  const ratios = cpu.package.map((value, index) => value / cpu.raw[index]);
  return {
    calls: settings.calls,
    rounds: settings.rounds,
    package_cpu_us: median(cpu.package) * 1e6,
    raw_cpu_us: median(cpu.raw) * 1e6,
    package_wall_us: median(wall.package) * 1e6,
    raw_wall_us: median(wall.raw) * 1e6,
    ratio: median(ratios),
    ratio_iqr: quartiles(ratios),
    raw_timeout_cpu_us: median(cpu.rawTimeout) * 1e6,
    ratio_to_raw_timeout: median(cpu.package.map((value, index) => value / cpu.rawTimeout[index])),
  };
}

/** Milliseconds that require() of `what` takes in a fresh node process. */
function requireMs(what) {
  const code = `const t = process.hrtime.bigint(); ${what};`
    + ' process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));';
  return Number(execFileSync(process.execPath, ['-e', code], { cwd: os.tmpdir(), encoding: 'utf8' }));
}

function benchRequire(settings) {
  const own = `require(${JSON.stringify(PACKAGE_DIR)})`;
  const base = "require('http'); require('https')";
  requireMs(own); // warm the file cache
  requireMs(base);
  const packageRuns = [];
  const baseRuns = [];
  const deltas = [];
  for (let round = 0; round < settings.requireRounds; round += 1) {
    let p;
    let b;
    if (round % 2) {
      b = requireMs(base);
      p = requireMs(own);
    } else {
      p = requireMs(own);
      b = requireMs(base);
    }
    packageRuns.push(p);
    baseRuns.push(b);
    deltas.push(p - b);
  }
  return {
    rounds: settings.requireRounds,
    package_ms: median(packageRuns),
    http_https_ms: median(baseRuns),
    delta_ms: median(deltas),
    delta_iqr: quartiles(deltas),
  };
}

/** Nanoseconds per cached getToken() without a store and with each store. */
async function benchCached(host, settings) {
  const CyberSource = require(PACKAGE_DIR);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenworks-bench-'));
  const stores = { none: undefined, memory: new CyberSource.MemoryTokenStore(), file: new CyberSource.FileTokenStore(path.join(folder, 'tokens')) };
  const managers = {};
  for (const [name, store] of Object.entries(stores)) {
    const apiClient = new CyberSource.ApiClient(host);
    apiClient.agent = new http.Agent({ keepAlive: true });
    managers[name] = new CyberSource.TokenManager({
      clientId: `bench-${name}`, clientSecret: FIELDS.client_secret, refreshToken: FIELDS.refresh_token, apiClient, store,
    });
    await managers[name].getToken(); // one real fetch; then cached
  }
  const names = Object.keys(managers);
  const runs = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < settings.rounds + 2; round += 1) {
    const order = round % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const manager = managers[name];
      const started = process.hrtime.bigint();
      for (let call = 0; call < settings.cachedCalls; call += 1) {
        await manager.getToken();
      }
      const ns = Number(process.hrtime.bigint() - started) / settings.cachedCalls;
      if (round >= 2) { // two rounds of warm-up
        runs[name].push(ns);
      }
    }
  }
  fs.rmSync(folder, { recursive: true, force: true });
  const extra = (name) => median(runs[name].map((ns, index) => ns - runs.none[index]));
  return {
    calls: settings.cachedCalls,
    rounds: settings.rounds,
    none_ns: median(runs.none),
    memory_ns: median(runs.memory),
    file_ns: median(runs.file),
    memory_extra_ns: extra('memory'),
    file_extra_ns: extra('file'),
  };
}

async function main() {
  const host = process.argv[2];
  if (!host) {
    throw new Error('usage: node bench/node_bench.js <token server URL> [--quick]');
  }
  const settings = process.argv.includes('--quick') ? QUICK : FULL;
  const require_ = benchRequire(settings); // fresh processes first, before the calls load this one
  const call = await benchCalls(host, settings);
  const cached = await benchCached(host, settings);
  process.stdout.write(`${JSON.stringify({ node: process.version, call, require: require_, cached })}\n`);
  process.exit(0); // the sides' kept-alive sockets would hold the process
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
