'use strict';
// The ApiClient options are declared once, in configuration.js's OPTIONS (their defaults
// too); the package's index.d.ts (ApiClientOptions) and README (the options table) must list
// exactly those, so that adding an option without documenting it fails here.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { PACKAGE_DIR: PACKAGE } = require('../support');
const { RUNTIME } = require('./fixture');

const { OPTIONS } = require(path.join(RUNTIME, 'configuration.js'));
/** Options for tests (what sends, sleeps, draws and tells the time): typed, not in the README. */
const TEST_HOOKS = ['transport', 'sleep', 'random', 'now'];

test('index.d.ts types every option of OPTIONS, in its order, and no other', () => {
  const types = fs.readFileSync(path.join(PACKAGE, 'src', 'index.d.ts'), 'utf8');
  const block = /interface ApiClientOptions \{([\s\S]*?)\n {2}\}/.exec(types);
  assert.ok(block, 'ApiClientOptions is missing from index.d.ts');
  const typed = [...block[1].matchAll(/^ {4}(\w+)\?:/gm)].map((match) => match[1]);
  assert.deepEqual(typed, Object.keys(OPTIONS));
});

test('the README options table names every option of OPTIONS but the test hooks, and no other', () => {
  const readme = fs.readFileSync(path.join(PACKAGE, 'README.md'), 'utf8');
  const table = readme.split('\nOption | Default | Meaning\n', 2)[1].split('\n\n', 1)[0];
  const named = table.split('\n').slice(1).flatMap((row) => row.split(' | ', 1)[0].split(', '))
    .map((name) => name.replace(/`/g, ''));
  const expected = Object.keys(OPTIONS).filter((name) => !TEST_HOOKS.includes(name));
  assert.deepEqual([...named].sort(), [...expected].sort());
  assert.equal(new Set(named).size, named.length, 'an option listed twice');
});
