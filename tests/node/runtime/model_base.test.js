'use strict';
// The runtime's models and value checks (templates/javascript/runtime/model.js, schema.js), as
// source: request models refuse unknown fields and mask secrets; arguments are checked
// before sending; answers are read strictly against the schema.

const assert = require('node:assert/strict');
const path = require('node:path');
const util = require('node:util');
const { describe, test } = require('node:test');

const { Limits, Model, RUNTIME, TokenAnswer, TokenRequest, errors } = require('./fixture');

const { toModel } = require(path.join(RUNTIME, 'model.js'));
const { ShapeError, checkModel, checkValue, readAnswer } = require(path.join(RUNTIME, 'schema.js'));

const SECRET = 'client-secret-0123456789';
const REFRESH = 'refresh-token-abcdefghij';

function request(extra) {
  return new TokenRequest({ client_id: 'partner', client_secret: SECRET, grant_type: 'refresh_token', refresh_token: REFRESH, ...extra });
}

describe('request models', () => {
  test('a misspelt field is refused at once, with the field it was likely meant to be', () => {
    assert.throws(
      () => new TokenRequest({ client_id: 'p', refreshTokn: 'x' }),
      (error) => error instanceof errors.ApiTypeError && error instanceof TypeError
        && /Unknown field 'refreshTokn'/.test(error.message)
        && /did you mean 'refresh_token'\?/.test(error.message)
        && !error.message.includes("'x'"),
    );
    assert.throws(() => new TokenRequest({ colour: 'red' }), (error) => !/did you mean/.test(error.message) && /'client_id'/.test(error.message));
    assert.throws(() => new TokenRequest(['client_id']), errors.ApiTypeError);
  });

  test('a field set by assignment after construction is refused when checked', () => {
    const model = request();
    model.refreshTokn = 'x';
    assert.throws(() => checkModel(model, TokenRequest, "'tokenRequest'"), /Unknown field 'refreshTokn' in 'tokenRequest'/);
  });

  test('secrets are masked in toString, JSON.stringify, util.inspect and console output', () => {
    const model = request({ code: 'short-code' });
    const shown = [String(model), model.toString(), JSON.stringify(model), util.inspect(model), util.format('%o', model), `${model}`];
    for (const text of shown) {
      assert.ok(!text.includes(SECRET) && !text.includes(REFRESH) && !text.includes('short-code'), text);
      assert.ok(text.includes('partner') && text.includes('refresh_token'), text);
    }
    assert.deepEqual(JSON.parse(JSON.stringify(model)), {
      client_id: 'partner', client_secret: 'clie\u2026', grant_type: 'refresh_token', refresh_token: 'refr\u2026', code: '\u2026',
    });
    assert.match(util.inspect(model), /^TokenRequest \{/);
    // The values themselves are untouched.
    assert.equal(model.client_secret, SECRET);
  });

  test('plain objects become models; other models and non-objects are refused', () => {
    const model = toModel({ client_id: 'p' }, TokenRequest, "'tokenRequest'");
    assert.ok(model instanceof TokenRequest);
    assert.throws(() => toModel(new Limits({ per_minute: 1 }), TokenRequest, "'tokenRequest'"), /Expected a TokenRequest or a plain object/);
    assert.throws(() => toModel('client_id=p', TokenRequest, "'tokenRequest'"), errors.ApiTypeError);
  });
});

describe('checks of arguments', () => {
  const where = "'x' when calling op";

  test('types: each message names the parameter and the kind, never the value', () => {
    const cases = [
      [{ type: 'String' }, 12345, /Expected a string for 'x' when calling op, not a number/],
      [{ type: 'Integer' }, 1.5, /Expected an integer/],
      [{ type: 'Integer' }, '7', /Expected an integer/],
      [{ type: 'Number' }, Infinity, /Expected a finite number/],
      [{ type: 'Boolean' }, 'true', /Expected a boolean/],
      [{ type: ['String'] }, 'one', /Expected an array/],
      [{ type: ['Integer'] }, [1, 'two'], /'x' when calling op\[1\]/],
    ];
    for (const [spec, value, message] of cases) {
      assert.throws(() => checkValue(value, { name: 'x', ...spec }, where), (error) => {
        assert.ok(error instanceof errors.ApiTypeError, error.message);
        assert.match(error.message, message);
        assert.ok(!error.message.includes(JSON.stringify(value)) || typeof value === 'number');
        return true;
      });
    }
  });

  test('constraints: enum, length in characters, pattern, range', () => {
    const fail = (value, spec, message) => assert.throws(
      () => checkValue(value, { name: 'x', ...spec }, where),
      (error) => error instanceof errors.ApiValueError && error instanceof RangeError && message.test(error.message),
    );
    fail('password', { type: 'String', enum: ['a', 'b'] }, /"password" is not one of "a", "b"/);
    fail('hunter', { type: 'String', enum: ['a'], secret: true }, /^Invalid value for 'x' when calling op: not one of "a"$/);
    // A value is named only when it cannot be a secret put in the wrong place.
    fail('hunter2', { type: 'String', enum: ['a'] }, /op: not one of "a"$/);
    fail('x'.repeat(33), { type: 'String', enum: ['a'] }, /op: not one of "a"$/);
    fail('abc', { name: 'api_key', type: 'String', enum: ['a'] }, /op: not one of "a"$/);
    fail('grant_type_example', { type: 'String', enum: ['a'] }, /op: "grant_type_example" is not one of "a"$/);
    fail('abc', { type: 'String', minLength: 4 }, /at least 4 characters, not 3/);
    fail('\u{1F600}'.repeat(3), { type: 'String', maxLength: 2 }, /at most 2 characters, not 3/);
    fail('a b', { type: 'String', pattern: '/^[a-z]+$/' }, /must match \/\^\[a-z\]\+\$\//);
    fail(0, { type: 'Integer', minimum: 1 }, /at least 1/);
    fail(1, { type: 'Integer', minimum: 1, exclusiveMinimum: true }, /above 1/);
    fail(101, { type: 'Integer', maximum: 100 }, /at most 100/);
    checkValue('\u{1F600}\u{1F600}', { name: 'x', type: 'String', maxLength: 2 }, where);
    checkValue(1, { name: 'x', type: 'Integer', minimum: 1 }, where);
  });

  test('a lone surrogate has no UTF-8 form: refused', () => {
    assert.throws(
      () => checkValue('ab\uD800cd', { name: 'x', type: 'String' }, where),
      (error) => error instanceof errors.ApiValueError && /lone surrogate/.test(error.message),
    );
    checkValue('ab\uD83D\uDE00cd', { name: 'x', type: 'String' }, where);
  });

  test('a model: required fields, and each field against its schema', () => {
    assert.throws(() => checkModel(new TokenRequest({ client_id: 'p', grant_type: 'refresh_token' }), TokenRequest, 'req'),
      (error) => error instanceof errors.ApiValueError && /Missing the required field 'client_secret' in req/.test(error.message));
    assert.throws(() => checkModel(request({ scope: 'x'.repeat(21) }), TokenRequest, 'req'), /'scope' in req: must have at most 20/);
    assert.throws(() => checkModel(request({ client_secret: 42 }), TokenRequest, 'req'),
      (error) => error instanceof errors.ApiTypeError && !error.message.includes('42'));
    checkModel(request(), TokenRequest, 'req');
  });
});

describe('answers read against the schema', () => {
  const read = (data) => readAnswer(TokenAnswer, data);
  const problem = (data) => {
    try {
      read(data);
    } catch (error) {
      assert.ok(error instanceof ShapeError, String(error));
      return error.message;
    }
    return assert.fail('the answer was accepted');
  };

  test('a valid answer: a model instance, fields converted, extra fields kept', () => {
    const token = read({
      access_token: 'a', token_type: 'Bearer', expires_in: 900, ratio: 0.5, active: true,
      issued: '2025-01-01T00:00:00Z', scopes: ['read'], limits: { per_minute: 100 }, extra: { kept: true },
    });
    assert.ok(token instanceof TokenAnswer);
    assert.ok(token.limits instanceof Limits);
    assert.ok(token.issued instanceof Date);
    assert.deepEqual(token.extra, { kept: true });
  });

  test('not an object, a missing required field, a field of the wrong type: what and where, not the value', () => {
    assert.equal(problem([]), 'expected a JSON object for TokenAnswer, got an array');
    assert.equal(problem('token'), 'expected a JSON object for TokenAnswer, got a string');
    assert.equal(problem(null), 'expected a JSON object for TokenAnswer, got null');
    assert.equal(problem({}), "the answer has no 'token_type', which TokenAnswer requires");
    assert.equal(problem({ token_type: null }), "the answer has no 'token_type', which TokenAnswer requires");
    assert.equal(problem({ token_type: 'Bearer', access_token: 12345 }), "'access_token' is an integer where the spec says a string");
    assert.equal(problem({ token_type: 'Bearer', expires_in: '900' }), "'expires_in' is a string where the spec says an integer");
    assert.equal(problem({ token_type: 'Bearer', expires_in: 1.5 }), "'expires_in' is a number where the spec says an integer");
    assert.equal(problem({ token_type: 'Bearer', active: 'yes' }), "'active' is a string where the spec says a boolean");
    assert.equal(problem({ token_type: 'Bearer', issued: 12 }), "'issued' is an integer where the spec says a date string");
    assert.equal(problem({ token_type: 'Bearer', scopes: 'read' }), "'scopes' is a string where the spec says an array");
    assert.equal(problem({ token_type: 'Bearer', scopes: ['read', 7] }), "'scopes[1]' is an integer where the spec says a string");
    assert.equal(problem({ token_type: 'Bearer', limits: {} }), "the answer has no 'limits.per_minute', which Limits requires");
    assert.equal(problem({ token_type: 'Bearer', limits: [] }), 'expected a JSON object for limits (Limits), got an array');
  });

  test('a field that breaks only a facet: refused when strict, else kept as it came and noted by path', () => {
    class Creative extends Model {}
    Creative.attributes = Object.freeze([
      { name: 'colour', type: 'String', pattern: '/^#[0-9a-f]{6}$/' },
      { name: 'kind', type: 'String', enum: ['banner', 'video'] },
      { name: 'width', type: 'Integer', minimum: 1 },
      { name: 'title', type: 'String', maxLength: 5 },
      { name: 'shown', type: 'Date' },
    ]);
    class Page extends Model {}
    Page.attributes = Object.freeze([{ name: 'creatives', type: [Creative], required: true }]);
    const sent = { colour: 'sienna', kind: 'carousel', width: 0, title: 'too long', shown: 'yesterday' };
    const data = { creatives: [{ colour: '#a0522d', kind: 'banner', width: 2, title: 'ok', shown: '2025-01-01' }, sent] };

    assert.throws(() => readAnswer(Page, data), (error) => error instanceof ShapeError
      && error.message === "'creatives[1].colour' must match /^#[0-9a-f]{6}$/");
    const breaks = [];
    const page = readAnswer(Page, data, undefined, breaks);
    assert.ok(page.creatives[1] instanceof Creative && page.creatives[0].shown instanceof Date);
    assert.deepEqual({ ...page.creatives[1] }, sent); // every value as it came
    assert.deepEqual(breaks.map((found) => found.path), ['colour', 'kind', 'width', 'title', 'shown'].map((name) => `creatives[1].${name}`));
    for (const value of ['sienna', 'carousel', 'too long', 'yesterday']) {
      assert.ok(!JSON.stringify(breaks).includes(value), value);
    }
    // A wrong type is still refused, breaks or not.
    assert.throws(() => readAnswer(Page, { creatives: [{ width: 'wide' }] }, undefined, []), ShapeError);
  });

  test('__proto__ in an answer never becomes the prototype', () => {
    const token = read(JSON.parse('{"token_type":"Bearer","__proto__":{"polluted":true}}'));
    assert.equal(token.polluted, undefined);
    assert.equal(Object.getPrototypeOf(token), TokenAnswer.prototype);
  });

  test('constructFromObject is lenient (error bodies are kept whatever their shape)', () => {
    const model = TokenAnswer.constructFromObject({ token_type: 5, limits: { per_minute: 'many' } });
    assert.equal(model.token_type, 5);
    assert.ok(model.limits instanceof Limits);
    assert.equal(TokenAnswer.constructFromObject('text'), 'text');
  });
});
