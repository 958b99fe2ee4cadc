'use strict';
// Driven by tests/test_node_parity.py: makes one createAccessToken call with the CyberSource
// Node package and prints its outcome as one line of JSON, in the terms the Python side
// uses. Retries wait nothing; each wait is counted.
//
//   node tests/node/parity_driver.js '{"host": ..., "fields": {...}, "correlation_id": ...,
//     "timeout": [connect s, read s] | s | null, "secrets": [...]}'

const path = require('node:path');

const { errorFamily } = require('./support');

const CyberSource = require(path.resolve(__dirname, '..', '..', 'generated', 'cybersource-node'));

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const waits = [];
  const options = { basePath: spec.host, sleep: async (seconds) => { waits.push(seconds); } };
  if (typeof spec.timeout === 'number') {
    options.timeout = spec.timeout * 1000; // one number: connect, and each read
  } else if (spec.timeout) {
    options.timeout = { connect: spec.timeout[0] * 1000, read: spec.timeout[1] * 1000 };
  }
  const api = new CyberSource.OAuthApi(new CyberSource.ApiClient(options));
  let outcome;
  try {
    const request = new CyberSource.CreateAccessTokenRequest(spec.fields);
    const opts = spec.correlation_id === null ? undefined : { vCClientCorrelationId: spec.correlation_id };
    const data = await api.createAccessToken(request, opts);
    outcome = { family: 'ok', status: 200, access_token: data.access_token };
  } catch (error) {
    const shown = [error.message, error.body, error.error_description, error.statusText].filter(Boolean).join('\n');
    outcome = {
      family: errorFamily(CyberSource, error),
      status: error.status === undefined ? null : error.status,
      connected: error.connected === undefined ? null : error.connected,
      error: error.error === undefined ? null : error.error,
      error_description: error.error_description === undefined ? null : error.error_description,
      retry_after: error.retryAfter === undefined ? null : error.retryAfter,
      secret_shown: spec.secrets.some((secret) => shown.includes(secret)),
    };
  }
  outcome.retries = waits.length;
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

main();
