'use strict';
// The checks of values against the spec, like the Python packages' _schema.py: user
// input (ApiTypeError / ApiValueError naming the parameter, never its value when secret)
// and answers (a ShapeError naming the field, never its value; the client makes it a
// MalformedResponseError).
//
// A parameter or a model's field is a FieldSpec: {name, type, required?, secret?, enum?,
// minLength?, maxLength?, pattern?, minimum?, maximum?, exclusiveMinimum?,
// exclusiveMaximum?}. A type is 'String', 'Integer', 'Number', 'Boolean', 'Date',
// 'Object', a model class (model.js), or [type] for an array.

const { ApiTypeError, ApiValueError } = require('./errors.js');
const { attributeOf, isPlainObject, toModel, unknownField } = require('./model.js');
const { SHOWN_VALUE_LENGTH, looksSecret } = require('./secrets.js');

/**
 * @typedef {{name: string, type: any, required?: boolean, secret?: boolean, enum?: any[],
 *   minLength?: number, maxLength?: number, pattern?: string|RegExp, minimum?: number,
 *   maximum?: number, exclusiveMinimum?: boolean, exclusiveMaximum?: boolean,
 *   baseName?: string, in?: string}} FieldSpec
 * @typedef {import('./model').Model} Model
 * @typedef {import('./model').ModelClass} ModelClass
 * @typedef {{path: string, problem: string}} Break A facet an answer's field breaks.
 */

/** An answer that does not have the shape the spec gives it. */
class ShapeError extends Error {}

/**
 * Throws unless every field of a model instance fits its schema; unknown fields are refused.
 * @param {Model} model
 * @param {ModelClass} Cls
 * @param {string} where
 */
function checkModel(model, Cls, where) {
  const record = /** @type {Object<string, unknown>} */ (/** @type {unknown} */ (model));
  const attributes = Cls.attributes;
  let set = 0;
  for (const spec of attributes) {
    if (record[spec.name] !== undefined) {
      set += 1;
    }
  }
  const keys = Object.keys(record);
  if (keys.length !== set) { // an own field beyond the schema's, or one set to undefined
    for (const key of keys) {
      if (attributeOf(Cls, key) === undefined && record[key] !== undefined) {
        throw unknownField(key, Cls, where);
      }
    }
  }
  for (const spec of attributes) {
    const value = record[spec.name];
    if (value === undefined || value === null) {
      if (spec.required) {
        throw new ApiValueError(`Missing the required field '${spec.name}' in ${where}`);
      }
      continue;
    }
    checkValue(value, spec, where, spec.name);
  }
}

/**
 * Throws unless a value fits a parameter or field spec (type, enum, length, pattern,
 * range). Messages name the parameter (`field` in `where`, when a field of a model); the
 * value is shown only for an enum mismatch of a field that is not secret.
 * @param {unknown} value
 * @param {FieldSpec} spec
 * @param {string} where
 * @param {string} [field]
 */
function checkValue(value, spec, where, field) {
  const type = spec.type;
  if (Array.isArray(type)) {
    if (!Array.isArray(value)) {
      throw new ApiTypeError(`Expected an array for ${place(where, field)}`);
    }
    value.forEach((item, index) => checkValue(item, { name: spec.name, type: type[0], secret: spec.secret }, `${place(where, field)}[${index}]`));
    return;
  }
  if (typeof type === 'function') {
    checkModel(toModel(value, type, place(where, field)), type, place(where, field));
    return;
  }
  checkType(value, type, where, field);
  const problem = facetProblem(value, spec);
  if (problem !== null) {
    // Named only where it helps and cannot be a secret in the wrong place: a short word
    // outside an enum ("grant_type_example" is not one of ...); generated secrets are
    // longer or hold digits.
    const shown = spec.enum !== undefined && !spec.enum.includes(value) && typeof value === 'string'
      && value.length <= SHOWN_VALUE_LENGTH && !/[0-9]/.test(value) && !spec.secret && !looksSecret(spec.name);
    throw new ApiValueError(`Invalid value for ${place(where, field)}: ${shown ? `${JSON.stringify(value)} is ` : ''}${problem}`);
  }
}

/**
 * The scalar types of the spec: whether a value is one, and how a message says it.
 * @type {Object<string, {fits: (value: unknown) => boolean, expected: string}>}
 */
const VALUE_TYPES = {
  String: { fits: (value) => typeof value === 'string', expected: 'a string' },
  Integer: { fits: (value) => typeof value === 'number' && Number.isInteger(value), expected: 'an integer' },
  Number: { fits: (value) => typeof value === 'number' && Number.isFinite(value), expected: 'a finite number' },
  Boolean: { fits: (value) => typeof value === 'boolean', expected: 'a boolean' },
  Date: { fits: (value) => value instanceof Date || typeof value === 'string', expected: 'a Date' },
};

/**
 * Throws unless a value is of a scalar type of the spec (any other type takes anything).
 * @param {unknown} value
 * @param {any} type
 * @param {string} where
 * @param {string} [field]
 */
function checkType(value, type, where, field) {
  const check = Object.hasOwn(VALUE_TYPES, type) ? VALUE_TYPES[type] : undefined;
  if (check !== undefined && !check.fits(value)) {
    throw new ApiTypeError(`Expected ${check.expected} for ${place(where, field)}, not ${kindOf(value)}`);
  }
  if (type === 'String' && !isWellFormed(/** @type {string} */ (value))) {
    throw new ApiValueError(`Invalid value for ${place(where, field)}: not encodable as UTF-8 (lone surrogate)`);
  }
}

/**
 * What is wrong with a value of the right type in the facets of its spec (enum, length,
 * pattern, range), without the value; null when nothing is. Requests are refused for it;
 * answers only with strictResponses (readAnswer).
 * @param {unknown} value
 * @param {FieldSpec} spec
 * @returns {string|null}
 */
function facetProblem(value, spec) {
  if (spec.enum && !spec.enum.includes(value)) {
    return `not one of ${spec.enum.map((item) => JSON.stringify(item)).join(', ')}`;
  }
  if (typeof value === 'string') {
    if (spec.minLength !== undefined || spec.maxLength !== undefined) {
      // In characters (code points), as JSON Schema counts.
      const length = SURROGATE.test(value) ? Array.from(value).length : value.length;
      if (spec.minLength !== undefined && length < spec.minLength) {
        return `must have at least ${spec.minLength} characters, not ${length}`;
      }
      if (spec.maxLength !== undefined && length > spec.maxLength) {
        return `must have at most ${spec.maxLength} characters, not ${length}`;
      }
    }
    if (spec.pattern && !patternOf(spec.pattern).test(value)) {
      return `must match ${spec.pattern}`;
    }
  }
  if (typeof value === 'number') {
    const { minimum, maximum } = spec;
    if (minimum !== undefined && (spec.exclusiveMinimum ? value <= minimum : value < minimum)) {
      return `must be ${spec.exclusiveMinimum ? 'above' : 'at least'} ${minimum}`;
    }
    if (maximum !== undefined && (spec.exclusiveMaximum ? value >= maximum : value > maximum)) {
      return `must be ${spec.exclusiveMaximum ? 'below' : 'at most'} ${maximum}`;
    }
  }
  return null;
}

/**
 * A facet an answer's field breaks: refused (a ShapeError) without `breaks` (strict),
 * else noted in `breaks` and the value accepted as it came.
 * @param {Break[]|null|undefined} breaks
 * @param {string} path
 * @param {string} problem
 */
function broken(breaks, path, problem) {
  if (!breaks) {
    throw new ShapeError(`'${path}' ${problem}`);
  }
  breaks.push({ path, problem });
}

/**
 * How a message names a parameter, or a field of one; built only for a message.
 * @param {string} where
 * @param {string} [field]
 * @returns {string}
 */
function place(where, field) {
  return field === undefined ? where : `'${field}' in ${where}`;
}

const wellFormed = /** @type {any} */ (String.prototype).isWellFormed;
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Whether a string has no lone surrogate (so it has a UTF-8 form).
 * @param {string} text
 * @returns {boolean}
 */
function isWellFormed(text) {
  if (wellFormed) {
    return wellFormed.call(text);
  }
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/**
 * What a value is, for messages: a kind, never the value.
 * @param {unknown} value
 * @returns {string}
 */
function kindOf(value) {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (typeof value === 'number' && !Number.isInteger(value)) {
    return Number.isFinite(value) ? 'a fractional number' : String(value);
  }
  const kind = typeof value;
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/**
 * A model instance from the parsed JSON of a successful answer, checked against the
 * schema: an object, every required field present, every field of its type. Fields
 * beyond the schema are kept as they came. Throws a ShapeError naming the field. A field
 * that breaks only a facet (enum, length, pattern, range, a date that does not parse) is
 * refused too without `breaks` (strict), else noted there and kept as it came.
 * @param {ModelClass} Cls
 * @param {unknown} data
 * @param {string} [where] The path of `data` in the answer, for nested models.
 * @param {Break[]|null} [breaks]
 * @returns {any}
 */
function readAnswer(Cls, data, where, breaks) {
  if (!isPlainObject(data)) {
    throw new ShapeError(`expected a JSON object for ${where ? `${where} (${Cls.name})` : Cls.name}, got ${jsonKind(data)}`);
  }
  const record = /** @type {Object<string, unknown>} */ (data);
  const target = /** @type {Object<string, unknown>} */ (/** @type {unknown} */ (new Cls()));
  let found = 0;
  for (const spec of Cls.attributes) {
    const value = record[spec.name];
    if (value === undefined || value === null) {
      if (spec.required) {
        throw new ShapeError(`the answer has no '${where ? `${where}.${spec.name}` : spec.name}', which ${Cls.name} requires`);
      }
      if (value === null) {
        target[spec.name] = null;
        found += 1;
      }
      continue;
    }
    found += 1;
    target[spec.name] = readValue(spec.type, value, where ? `${where}.${spec.name}` : spec.name, breaks, spec);
  }
  const keys = Object.keys(record);
  if (keys.length !== found) { // fields beyond the schema: kept after the schema's
    for (const key of keys) {
      if (key !== '__proto__' && attributeOf(Cls, key) === undefined) {
        target[key] = record[key];
      }
    }
  }
  return target;
}

/**
 * @param {any} type
 * @param {unknown} value
 * @param {string} path
 * @param {Break[]|null} [breaks]
 * @param {FieldSpec} [spec] The field's facets (none for an array's items).
 * @returns {unknown}
 */
function readValue(type, value, path, breaks, spec) {
  if (Array.isArray(type)) {
    if (!Array.isArray(value)) {
      throw new ShapeError(`'${path}' is ${jsonKind(value)} where the spec says an array`);
    }
    return value.map((item, index) => readValue(type[0], item, `${path}[${index}]`, breaks));
  }
  if (typeof type === 'function') {
    return readAnswer(type, value, path, breaks);
  }
  const expected = {
    String: 'a string', Integer: 'an integer', Number: 'a number', Boolean: 'a boolean', Date: 'a date string',
  }[/** @type {string} */ (type)];
  let fits = true;
  switch (type) {
    case 'String':
      fits = typeof value === 'string';
      break;
    case 'Integer':
      fits = typeof value === 'number' && Number.isInteger(value);
      break;
    case 'Number':
      fits = typeof value === 'number' && Number.isFinite(value);
      break;
    case 'Boolean':
      fits = typeof value === 'boolean';
      break;
    case 'Date':
      if (typeof value !== 'string') {
        fits = false;
      } else if (Number.isNaN(Date.parse(value))) {
        broken(breaks, path, 'is not a date the spec\'s format allows');
        return value; // a format broken: the text as it came
      } else {
        return new Date(value);
      }
      break;
    default:
      break;
  }
  if (!fits) {
    throw new ShapeError(`'${path}' is ${jsonKind(value)} where the spec says ${expected}`);
  }
  const problem = spec === undefined ? null : facetProblem(value, spec);
  if (problem !== null) {
    broken(breaks, path, problem);
  }
  return value;
}

/**
 * What a parsed JSON value is: a kind, never the value.
 * @param {unknown} value
 * @returns {string}
 */
function jsonKind(value) {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? 'an integer' : 'a number';
  }
  if (typeof value === 'object') {
    return 'an object';
  }
  return `a ${typeof value}`;
}

/** @type {Map<string, RegExp>} */
const patterns = new Map();

/**
 * The RegExp of a spec pattern, written as `/source/flags` or as the bare source;
 * compiled once.
 * @param {string|RegExp} literal
 * @returns {RegExp}
 */
function patternOf(literal) {
  if (literal instanceof RegExp) {
    return literal;
  }
  let pattern = patterns.get(literal);
  if (pattern === undefined) {
    const match = /^\/([\s\S]*)\/([a-z]*)$/.exec(literal);
    pattern = match ? new RegExp(match[1], match[2]) : new RegExp(literal);
    patterns.set(literal, pattern);
  }
  return pattern;
}

module.exports = {
  ShapeError,
  checkModel,
  checkValue,
  readAnswer,
};
