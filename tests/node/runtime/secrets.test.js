'use strict';
// The runtime's secrets (templates/javascript/runtime/secrets.js), as source: masks, the tokens
// an answer issued, and redaction in every form a secret may be echoed. How the request loop
// hands them the secrets a call carried is tested with the loop (client.test.js) and the
// security schemes (security.test.js); the Python twin is tests/runtime/test_runtime_secrets.py.

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe, test } = require('node:test');

const { RUNTIME } = require('./fixture');

const secrets = require(path.join(RUNTIME, 'secrets.js'));

describe('secrets', () => {
  test('mask shows at most four characters, and none of a short secret', () => {
    assert.equal(secrets.mask('abcdefghijkl'), 'abcd\u2026');
    assert.equal(secrets.mask('abcdefghijk'), '\u2026');
    assert.equal(secrets.mask(''), '\u2026');
  });

  test('redact: a secret as sent, JSON-escaped, percent-encoded and form-encoded', () => {
    const secret = 'sé cret"+/&';
    const text = [secret, JSON.stringify(secret), encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString()].join(' | ');
    const clean = secrets.redact(text, [secret, '', undefined]);
    assert.ok(!clean.includes('cret'), clean);
    assert.equal(clean.split('[redacted]').length - 1, 4);
    // Longest first; a secret under four characters is left alone.
    assert.equal(secrets.redact('token tok tokenized', ['tok', 'token', 'tokenized']), '[redacted] tok [redacted]');
  });

  test('redact: a secret JSON-escaped with \\/ as PHP writes it, non-ASCII as is or as \\uXXXX', () => {
    const secret = 'tøk/en-1234';
    for (const echoed of ['tøk\\/en-1234', 't\\u00f8k\\/en-1234', 't\\u00f8k/en-1234']) {
      assert.equal(secrets.redact(`{"error_description": "you sent ${echoed}"}`, [secret]), '{"error_description": "you sent [redacted]"}');
    }
  });

  test('issuedTokens: the token fields of a JSON answer, and token-like values in one that is not', () => {
    assert.deepEqual(secrets.issuedTokens('{"access_token": "at-1234", "refresh_token": 5, "id_token": "id-1234"}'),
      ['at-1234', 'id-1234', 'at-1234', 'at-1234', 'id-1234', 'id-1234']);
    assert.deepEqual(new Set(secrets.issuedTokens('<pre>{"access_token" : "a\\/b\\u00e9c", "refresh_token":"rt-cut')),
      new Set(['a\\/b\\u00e9c', 'a/b\u00e9c', 'rt-cut']));
    assert.deepEqual(new Set(secrets.issuedTokens('[{"access_token": "abc\\')), new Set(['abc'])); // cut inside an escape
    assert.deepEqual(secrets.issuedTokens('{"scope": "access_token", "token_type": "Bearer"}'), []);
  });
});
