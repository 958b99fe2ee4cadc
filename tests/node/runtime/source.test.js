'use strict';
// The runtime as source: type-checked and linted by tsc (strict, unused names, missing
// returns, switch fall-through; templates/javascript/runtime/tsconfig.json), in files and
// functions of a readable size, free of any package's name, and copied byte for byte into
// every Node package.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { REPO_ROOT } = require('../support');
const { RUNTIME } = require('./fixture');

const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const SOURCES = fs.readdirSync(RUNTIME).filter((name) => name.endsWith('.js')).sort();
/** The longest a runtime file and a runtime function (nested ones included) may be. */
const MAX_FILE_LINES = 700;
const MAX_FUNCTION_LINES = 60;

/** The output folders of the Node packages: openapi/*-node.yaml's outputDir. */
function nodePackages() {
  const openapi = path.join(REPO_ROOT, 'openapi');
  return fs.readdirSync(openapi).filter((name) => name.endsWith('-node.yaml')).map((name) => {
    const config = fs.readFileSync(path.join(openapi, name), 'utf8');
    return path.join(REPO_ROOT, /^outputDir: *(\S+)$/m.exec(config)[1]);
  });
}

test('tsc --checkJs finds no type error, unused name or missing return in the runtime', () => {
  const result = spawnSync(process.execPath, [TSC, '-p', path.join(RUNTIME, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('no runtime file over 700 lines, no function over 60: one module per concern, small steps', () => {
  const ts = require(path.join(REPO_ROOT, 'node_modules', 'typescript'));
  const tooLong = [];
  for (const name of SOURCES) {
    const text = fs.readFileSync(path.join(RUNTIME, name), 'utf8');
    const lines = text.split('\n').length - 1;
    if (lines > MAX_FILE_LINES) {
      tooLong.push(`${name}: ${lines} lines`);
    }
    const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isFunctionLike(node) && node.body) {
        const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
        const last = file.getLineAndCharacterOfPosition(node.end).line;
        if (last - first + 1 > MAX_FUNCTION_LINES) {
          tooLong.push(`${name}:${first + 1} ${node.name ? node.name.getText(file) : 'a function'}: ${last - first + 1} lines`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  assert.deepEqual(tooLong, []);
});

test('no package, provider or spec name inside the runtime', () => {
  for (const name of SOURCES) {
    const source = fs.readFileSync(path.join(RUNTIME, name), 'utf8');
    assert.doesNotMatch(source, /cybersource|pandadoc|criteo|zuora|oauth2\/v3/i, name);
  }
});

test('every Node package holds the runtime files byte for byte in src/', () => {
  const packages = nodePackages();
  assert.ok(packages.length >= 1);
  for (const dir of packages) {
    for (const name of SOURCES) {
      const copy = path.join(dir, 'src', name);
      assert.ok(fs.existsSync(copy), `${copy} is missing: run make generate`);
      assert.ok(fs.readFileSync(copy).equals(fs.readFileSync(path.join(RUNTIME, name))), `${copy} differs from the runtime source`);
    }
  }
});
