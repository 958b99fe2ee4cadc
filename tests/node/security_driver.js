'use strict';
// Driven by tests/test_node_security.py: makes calls with a Node package generated from a
// probe spec and prints their outcomes as one line of JSON, in the terms the Python side
// uses ({family: 'ok'}, or the error's family, status and whether a secret shows in it).
//
//   node tests/node/security_driver.js '{"package": <folder>, "host": ..., "options": {...},
//     "tokenManager": {clientId, clientSecret, refreshToken} | null,
//     "calls": [{"method": ..., "args": [...], "opts": {...}}], "secrets": [...]}'

const { errorFamily } = require('./support');

const spec = JSON.parse(process.argv[2]);
const pkg = require(spec.package);


async function main() {
  const options = { basePath: spec.host, retries: 0, ...spec.options };
  if (spec.tokenManager) {
    // Its token requests go through a client of their own, as in the Python test.
    const tokenClient = new pkg.ApiClient({ basePath: spec.host, retries: 0 });
    options.tokenManager = new pkg.TokenManager({ ...spec.tokenManager, apiClient: tokenClient });
  }
  const api = new pkg.ThingsApi(new pkg.ApiClient(options));
  const outcomes = [];
  for (const call of spec.calls) {
    try {
      await api[call.method](...call.args, call.opts);
      outcomes.push({ family: 'ok' });
    } catch (error) {
      const shown = [error.message, error.body, error.error_description, error.statusText].filter(Boolean).join('\n');
      outcomes.push({
        family: errorFamily(pkg, error),
        status: error.status === undefined ? null : error.status,
        secret_shown: spec.secrets.filter((secret) => shown.includes(secret)),
      });
    }
  }
  process.stdout.write(`${JSON.stringify(outcomes)}\n`);
}

main();
