'use strict';
// The ApiClient options are declared once, in configuration.js's OPTIONS (name, default,
// check, TypeScript type, meaning, hidden, test); the client's settings, the hidden list and,
// through scripts/generate.py, the package's index.d.ts (ApiClientOptions) and README (the
// options table) are derived from it. These tests hold each derived output to every row.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { test } = require('node:test');

const { PACKAGE_DIR: PACKAGE } = require('../support');
const { RUNTIME } = require('./fixture');

const { HIDDEN_SETTINGS, OPTIONS, readSettings } = require(path.join(RUNTIME, 'configuration.js'));
const { ApiClient } = require(path.join(PACKAGE, 'src', 'index.js'));

const SPEC = { servers: [{ url: 'https://one.example' }], userAgent: 'probe/1' };
/** Settings that are no options: caches of what is derived from them, and the environment. */
const DERIVED = ['parsedBase', 'tlsCache', 'environment', 'routeCache'];
/** The README's Default of a row: its `shown` with the package's values, or its default. */
const SHOWN = {
  hostVariable: ApiClient.settings.hostVariable,
  firstServer: ApiClient.settings.servers[0].url,
  userAgent: ApiClient.settings.userAgent,
};

function readmeDefault(option) {
  if (option.shown !== undefined) {
    return option.shown.replace(/\{(hostVariable|firstServer|userAgent)\}/g, (_, key) => SHOWN[key]);
  }
  return option.default === undefined ? '' : `\`${util.inspect(option.default, { breakLength: Infinity })}\``;
}

test('each row of OPTIONS has a unique name, a check, a type and a one-line meaning that fit a table and a comment', () => {
  assert.equal(new Set(OPTIONS.map((option) => option.name)).size, OPTIONS.length, 'an option declared twice');
  for (const option of OPTIONS) {
    assert.match(option.name, /^[a-z][A-Za-z]+$/);
    assert.ok(option.check === null || typeof option.check === 'function', option.name);
    assert.ok(option.type && !option.type.includes('\n'), option.name);
    assert.match(option.meaning, /^[^|\n]+\.$/, `${option.name}: one line ending in a full stop, no |`);
    assert.ok(!option.meaning.includes('*/'), option.name);
  }
});

test('a client holds a setting of each option with a check, in the order of OPTIONS, then the derived ones', () => {
  const settings = readSettings(undefined, SPEC);
  const checked = OPTIONS.filter((option) => option.check !== null).map((option) => option.name);
  assert.deepEqual(Object.keys(settings), [...checked, ...DERIVED]);
  assert.equal(settings.basePath, 'https://one.example');
  assert.deepEqual(settings.defaultHeaders, { 'User-Agent': 'probe/1' });
  for (const option of OPTIONS) {
    if (option.default !== undefined && !['basePath', 'defaultHeaders'].includes(option.name)) {
      assert.deepEqual(settings[option.name], option.default, `${option.name} takes its default`);
    }
  }
});

test('the hidden settings are the hidden options and the derived ones', () => {
  const hidden = OPTIONS.filter((option) => option.hidden).map((option) => option.name);
  assert.deepEqual([...HIDDEN_SETTINGS].sort(), [...hidden, ...DERIVED].sort());
  assert.ok(hidden.includes('password') && !hidden.includes('username'));
});

test("index.d.ts's ApiClientOptions has each row of OPTIONS, in order: its type, its meaning and default as the comment", () => {
  const types = fs.readFileSync(path.join(PACKAGE, 'src', 'index.d.ts'), 'utf8');
  const block = /interface ApiClientOptions \{\n([\s\S]*?)\n {2}\}/.exec(types);
  assert.ok(block, 'ApiClientOptions is missing from index.d.ts');
  const expected = OPTIONS.flatMap((option) => {
    const shown = readmeDefault(option);
    return [`    /** ${option.meaning}${shown ? ` Default: ${shown}.` : ''} */`, `    ${option.name}?: ${option.type};`];
  });
  assert.deepEqual(block[1].split('\n'), expected);
});

test('the README options table has a row of each option but the test hooks: its default and meaning', () => {
  const readme = fs.readFileSync(path.join(PACKAGE, 'README.md'), 'utf8');
  const table = readme.split('\nOption | Default | Meaning\n', 2)[1].split('\n\n', 1)[0];
  const expected = OPTIONS.filter((option) => !option.test)
    .map((option) => `\`${option.name}\` | ${readmeDefault(option)} | ${option.meaning}`);
  assert.deepEqual(table.split('\n').slice(1), expected);
  assert.match(table, /`basePath` \| `\$CYBERSOURCE_HOST`, else `https:\/\/[^`]+` \|/);
  assert.ok(OPTIONS.some((option) => option.test) && !/`transport`/.test(table));
});

test("index.d.ts's ApiClient has a field of each setting but the test hooks, undefined where a client's can be", () => {
  const types = fs.readFileSync(path.join(PACKAGE, 'src', 'index.d.ts'), 'utf8');
  const block = /class ApiClient \{\n([\s\S]*?)\n {2}\}/.exec(types);
  assert.ok(block, 'class ApiClient is missing from index.d.ts');
  const fields = block[1].split('\n').filter((line) => /^ {4}\w+: /.test(line));
  const settings = readSettings(undefined, SPEC);
  const expected = OPTIONS.filter((option) => option.check !== null && !option.test)
    .map((option) => `    ${option.name}: ${option.type}${settings[option.name] === undefined ? ' | undefined' : ''};`);
  assert.deepEqual(fields, expected);
});
