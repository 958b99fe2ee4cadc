'use strict';
// The documented example, run as a user runs it: the package installed with the README's
// `npm install <folder>` into a fresh project, the example copied from docs/OAuthApi.md with
// its placeholders replaced by real values, and Prism serving openapi/cybersource.yaml.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');

const {
  PACKAGE_DIR, installIntoTempProject, javascriptBlocks, specExampleValue, startPrism,
} = require('./support');

const DOC = path.join(PACKAGE_DIR, 'docs', 'OAuthApi.md');
const README = path.join(PACKAGE_DIR, 'README.md');

/** Runs a script with node in `cwd`; resolves {code, stdout, stderr}. */
function runNode(cwd, file) {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd, timeout: 30000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr });
    });
  });
}

/** The documented example with real values, sent to `url`. */
function withRealValues(example, url, values) {
  const basePathLine = /^\/\/ (CyberSource\.ApiClient\.instance\.basePath = )"[^"]*";$/m;
  assert.match(example, basePathLine, 'the example shows how to change the host');
  let script = example.replace(basePathLine, `$1${JSON.stringify(url)};`);
  // The correlation id shows the spec's example (or a placeholder): send a fresh UUID.
  const correlationId = /^( {2}'vCClientCorrelationId': )"[^"]*"/m;
  assert.match(script, correlationId, 'the example sets opts.vCClientCorrelationId');
  script = script.replace(correlationId, `$1${JSON.stringify(crypto.randomUUID())}`);
  for (const [placeholder, value] of Object.entries(values)) {
    assert.ok(script.includes(`"${placeholder}"`), `the example has the placeholder ${placeholder}`);
    script = script.split(`"${placeholder}"`).join(JSON.stringify(value));
  }
  return script;
}

describe('the documented example against Prism', () => {
  let prism;
  let project;

  before(async () => {
    project = installIntoTempProject();
    prism = await startPrism();
  });

  after(async () => {
    if (prism) {
      await prism.stop();
    }
    if (project) {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  test("npm install <folder> makes require('CyberSource') work", () => {
    const link = path.join(project, 'node_modules', 'CyberSource');
    assert.equal(fs.realpathSync(link), fs.realpathSync(PACKAGE_DIR));
    const manifest = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
    assert.ok(manifest.dependencies.CyberSource.startsWith('file:'));
    // The Redis clients RedisTokenStore takes are optional peers: never installed with it.
    for (const peer of ['redis', 'ioredis']) {
      assert.equal(fs.existsSync(path.join(project, 'node_modules', peer)), false, peer);
    }
    const peers = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'));
    assert.deepEqual(Object.keys(peers.dependencies || {}), []);
    assert.deepEqual(peers.peerDependenciesMeta, { ioredis: { optional: true }, redis: { optional: true } });
  });

  test("package.json's exports: the package and its package.json resolve, its src/ files do not", async () => {
    const file = path.join(project, 'exports.js');
    fs.writeFileSync(file, `
      const CyberSource = require('CyberSource');
      console.log(typeof CyberSource.OAuthApi, require('CyberSource/package.json').name);
      for (const internal of ['CyberSource/src/index.js', 'CyberSource/src/api_client.js', 'CyberSource/src/errors.js']) {
        try {
          require(internal);
          console.log('resolved', internal);
        } catch (error) {
          console.log(error.code);
        }
      }
    `);
    const result = await runNode(project, file);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `function CyberSource\n${'ERR_PACKAGE_PATH_NOT_EXPORTED\n'.repeat(3)}`);
  });

  test('the README shows the same example as docs/OAuthApi.md', () => {
    const [docExample] = javascriptBlocks(DOC);
    assert.ok(javascriptBlocks(README).includes(docExample));
  });

  test('prints the access token of the spec example', async () => {
    const [example] = javascriptBlocks(DOC);
    assert.match(example, /^var CyberSource = require\('CyberSource'\);$/m);
    assert.match(example, /^apiInstance\.createAccessToken\(createAccessTokenRequest, opts, callback\);$/m);
    const script = withRealValues(example, prism.url, {
      client_id_example: 'tokenworks-partner-7',
      client_secret_example: 'Zm9vYmFyLXNlY3JldC0xMjM0NTY3ODkw',
      code_example: 'AuthCode-4f1c2b9e',
      refresh_token_example: 'eyJraWQiOiJyZWZyZXNoIn0.eyJzdWIiOiJtZXJjaGFudCJ9.c2ln',
    });
    const file = path.join(project, 'example.js');
    fs.writeFileSync(file, script);

    const result = await runNode(project, file);

    assert.equal(result.code, 0, `the example failed:\n${result.stderr}\nPrism:\n${prism.output()}`);
    assert.equal(result.stderr, '');
    const token = specExampleValue('access_token');
    assert.ok(
      result.stdout.startsWith('API called successfully. Returned data: '),
      `unexpected output:\n${result.stdout}`,
    );
    assert.ok(result.stdout.includes(`"access_token":"${token}"`), result.stdout);
    assert.ok(result.stdout.includes('"expires_in":900'), result.stdout);
  });

  test('the Promise form with a refresh token gets the token too', async () => {
    const file = path.join(project, 'promise.js');
    fs.writeFileSync(file, `
      const CyberSource = require('CyberSource');
      CyberSource.ApiClient.instance.basePath = ${JSON.stringify(prism.url)};
      const request = new CyberSource.CreateAccessTokenRequest({
        client_id: 'tokenworks-partner-7',
        client_secret: 'Zm9vYmFyLXNlY3JldC0xMjM0NTY3ODkw',
        grant_type: 'refresh_token',
        refresh_token: 'eyJraWQiOiJyZWZyZXNoIn0.eyJzdWIiOiJtZXJjaGFudCJ9.c2ln',
      });
      new CyberSource.OAuthApi()
        .createAccessToken(request, { vCClientCorrelationId: ${JSON.stringify(crypto.randomUUID())} })
        .then((data) => console.log(data instanceof CyberSource.AccessTokenResponse, data.access_token))
        .catch((error) => { console.error(error); process.exitCode = 1; });
    `);
    const result = await runNode(project, file);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `true ${specExampleValue('access_token')}\n`);
  });
});
