'use strict';
// The runtime's error hierarchy and its helpers (templates/javascript/runtime/errors.js) and
// Retry-After (retry.js); redaction is in secrets.test.js.

const assert = require('node:assert/strict');
const path = require('node:path');
const util = require('node:util');
const { describe, test } = require('node:test');

const { RUNTIME, errors } = require('./fixture');

const retry = require(path.join(RUNTIME, 'retry.js'));

describe('errors', () => {
  test('one class per status, as in the Python packages', () => {
    const expected = {
      400: 'BadRequestException', 401: 'UnauthorizedException', 403: 'ForbiddenException',
      404: 'NotFoundException', 409: 'ConflictException', 422: 'UnprocessableEntityException',
      429: 'TooManyRequestsException', 500: 'ServiceException', 502: 'ServiceException',
      503: 'ServiceException', 599: 'ServiceException', 302: 'ApiError', 418: 'ApiError',
    };
    for (const [status, name] of Object.entries(expected)) {
      const ErrorClass = errors.errorClassFor(Number(status));
      assert.equal(ErrorClass.name, name, status);
      const error = new ErrorClass('m', { status: Number(status) });
      assert.ok(error instanceof errors.ApiError && error instanceof Error);
      assert.equal(error.name, name);
    }
    for (const name of ['MalformedResponseError', 'ApiConnectionError', 'ApiTimeoutError']) {
      assert.ok(errors[name].prototype instanceof errors.ApiError, name);
    }
    assert.ok(errors.ApiTimeoutError.prototype instanceof errors.ApiConnectionError);
    assert.ok(new errors.ApiTypeError('m') instanceof TypeError);
    assert.ok(new errors.ApiValueError('m') instanceof RangeError);
  });

  test('fields: status, retryAfter and OAuth fields shown; headers, data, response and a hidden body not', () => {
    const error = new errors.BadRequestException('createToken failed: HTTP 400', {
      status: 400, statusText: 'Bad Request', headers: { 'x-a': '1' }, body: '{"error":"invalid_grant"}',
      data: { error: 'invalid_grant' }, response: { status: 400 }, retryAfter: 3, error: 'invalid_grant',
    });
    assert.equal(error.status, 400);
    assert.equal(error.retryAfter, 3);
    assert.equal(error.error, 'invalid_grant');
    assert.equal('error_description' in error, false);
    assert.deepEqual(error.headers, { 'x-a': '1' });
    assert.deepEqual(Object.keys(error).sort(), ['body', 'error', 'retryAfter', 'status', 'statusText']);
    const hidden = new errors.MalformedResponseError('m', { status: 200, body: '{"access_token":"tok-123"}', hideBody: true });
    assert.equal(hidden.body, '{"access_token":"tok-123"}');
    assert.ok(!util.inspect(hidden).includes('tok-123'));
    assert.ok(!JSON.stringify(hidden).includes('tok-123'));
    const refused = new errors.ApiConnectionError('could not connect', { connected: false, code: 'ECONNREFUSED', cause: new Error('x') });
    assert.equal(refused.status, 0);
    assert.equal(refused.retryAfter, null);
    assert.deepEqual([refused.connected, refused.code], [false, 'ECONNREFUSED']);
  });

  test('Retry-After: seconds or an HTTP date, else null', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(retry.retryAfterSeconds('120', now), 120);
    assert.equal(retry.retryAfterSeconds(' 1.5 ', now), 1.5);
    assert.equal(retry.retryAfterSeconds('Wed, 01 Jan 2025 00:00:30 GMT', now), 30);
    assert.equal(retry.retryAfterSeconds('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
    for (const bad of [undefined, '', '-1', 'soon', '1e400', '0x10', 'Infinity']) {
      assert.equal(retry.retryAfterSeconds(bad, now), null, bad);
    }
  });

  test('OAuth error fields: strings of a JSON object only', () => {
    assert.deepEqual(errors.oauthErrorFields('{"error":"e","error_description":"d","error_uri":"u","x":1}'), {
      error: 'e', error_description: 'd', error_uri: 'u',
    });
    assert.deepEqual(errors.oauthErrorFields('{"error":7}'), {});
    assert.deepEqual(errors.oauthErrorFields('["error"]'), {});
    assert.deepEqual(errors.oauthErrorFields('<html>'), {});
    assert.deepEqual(errors.oauthErrorFields('{"error":'), {});
  });
});
