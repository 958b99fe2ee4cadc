'use strict';
// The base class of every model, and the checks of values against the spec: user input
// (ApiTypeError / ApiValueError naming the parameter, never its value when secret) and
// answers (a ShapeError naming the field, never its value; the client makes it a
// MalformedResponseError).
//
// A model class has `attributes`: one entry per schema property, in schema order,
// {name, type, required?, secret?, enum?, minLength?, maxLength?, pattern?, minimum?,
// maximum?, exclusiveMinimum?, exclusiveMaximum?}. A type is 'String', 'Integer',
// 'Number', 'Boolean', 'Date', 'Object', a model class, or [type] for an array.

const { ApiTypeError, ApiValueError } = require('./errors');

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** An answer that does not have the shape the spec gives it. */
class ShapeError extends Error {}

/**
 * @typedef {{name: string, type: any, required?: boolean, secret?: boolean, enum?: any[],
 *   minLength?: number, maxLength?: number, pattern?: string|RegExp, minimum?: number,
 *   maximum?: number, exclusiveMinimum?: boolean, exclusiveMaximum?: boolean,
 *   baseName?: string, in?: string}} FieldSpec
 * @typedef {{name: string, attributes: readonly FieldSpec[], new (values?: object): Model}} ModelClass
 */

/**
 * Base of every generated model. `new Model({field: value})` refuses fields the schema
 * does not have; `toString()`, `JSON.stringify` and `util.inspect` show secret fields
 * (x-secret in the spec) masked.
 */
class Model {
  /**
   * @param {object} [values] Field values by name.
   */
  constructor(values) {
    if (values !== undefined && values !== null) {
      assignFields(this, values, /** @type {ModelClass} */ (/** @type {unknown} */ (new.target)), new.target.name);
    }
  }

  /**
   * An instance from parsed JSON, fields that fit converted to their types; used for
   * the bodies of error answers, which are kept whatever their shape.
   * @param {unknown} data
   * @param {Model} [obj] The instance to fill, a new one when absent.
   * @returns {any}
   */
  static constructFromObject(data, obj) {
    if (!isPlainObject(data)) {
      return data;
    }
    const Cls = /** @type {ModelClass} */ (/** @type {unknown} */ (this));
    const target = /** @type {any} */ (obj || new Cls());
    const record = /** @type {Object<string, unknown>} */ (data);
    for (const key of Object.keys(record)) {
      if (key !== '__proto__') {
        const spec = attributeOf(Cls, key);
        const value = record[key];
        target[key] = spec && typeof spec.type === 'function' && isPlainObject(value)
          ? spec.type.constructFromObject(value)
          : value;
      }
    }
    return target;
  }

  /** The fields that are set, secrets masked: what JSON.stringify shows. */
  toJSON() {
    return shownFields(this);
  }

  /** The fields that are set as JSON, secrets masked. */
  toString() {
    return JSON.stringify(this);
  }

  /**
   * What util.inspect and console.log show: the class and its fields, secrets masked.
   * @param {number} _depth
   * @param {object} options
   * @param {(value: unknown, options: object) => string} inspect
   */
  [INSPECT](_depth, options, inspect) {
    return `${this.constructor.name} ${inspect(shownFields(this), options)}`;
  }
}

/**
 * A secret as it may be shown: its first four characters when it is long, then an ellipsis.
 * @param {string} secret
 * @returns {string}
 */
function mask(secret) {
  const chars = Array.from(secret);
  return `${chars.length >= 12 ? chars.slice(0, 4).join('') : ''}\u2026`;
}

/**
 * @param {Model} model
 * @returns {Object<string, unknown>}
 */
function shownFields(model) {
  const Cls = /** @type {ModelClass} */ (model.constructor);
  /** @type {Object<string, unknown>} */
  const shown = {};
  const record = /** @type {Object<string, unknown>} */ (/** @type {unknown} */ (model));
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value === undefined) {
      continue;
    }
    const spec = attributeOf(Cls, key);
    shown[key] = spec && spec.secret && typeof value === 'string' ? mask(value) : value;
  }
  return shown;
}

/** @type {WeakMap<object, Map<string, FieldSpec>>} */
const byName = new WeakMap();

/**
 * The schema property `name` of a model class, if it has one.
 * @param {ModelClass} Cls
 * @param {string} name
 * @returns {FieldSpec|undefined}
 */
function attributeOf(Cls, name) {
  let map = byName.get(Cls);
  if (map === undefined) {
    map = new Map((Cls.attributes || []).map((spec) => [spec.name, spec]));
    byName.set(Cls, map);
  }
  return map.get(name);
}

/**
 * @param {unknown} value
 * @returns {boolean}
 */
function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Copies `values` onto a model, refusing names the schema does not have.
 * @param {object} target
 * @param {unknown} values
 * @param {ModelClass} Cls
 * @param {string} where
 */
function assignFields(target, values, Cls, where) {
  if (!isPlainObject(values)) {
    throw new ApiTypeError(`Expected an object of fields for ${where}`);
  }
  const record = /** @type {Object<string, unknown>} */ (values);
  const out = /** @type {Object<string, unknown>} */ (target);
  for (const key of Object.keys(record)) {
    if (attributeOf(Cls, key) === undefined) {
      throw unknownField(key, Cls, where);
    }
    out[key] = record[key];
  }
}

/**
 * The error for a field name the schema does not have, with the likely intended one.
 * @param {string} key
 * @param {ModelClass} Cls
 * @param {string} where
 * @returns {Error}
 */
function unknownField(key, Cls, where) {
  const names = (Cls.attributes || []).map((spec) => spec.name);
  const near = closest(key, names);
  return new ApiTypeError(
    `Unknown field '${key}' in ${where}${near ? ` (did you mean '${near}'?)` : ''};`
    + ` ${Cls.name} has ${names.map((name) => `'${name}'`).join(', ')}`,
  );
}

/**
 * The name closest to `key` (case and separators aside, at most two edits), if any.
 * @param {string} key
 * @param {string[]} names
 * @returns {string|undefined}
 */
function closest(key, names) {
  const plain = (/** @type {string} */ text) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  let best;
  let bestDistance = 3;
  for (const name of names) {
    const distance = editDistance(plain(key), plain(name));
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
function editDistance(a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * An argument as an instance of `Cls`: instances pass, plain objects are copied.
 * @param {unknown} value
 * @param {ModelClass} Cls
 * @param {string} where
 * @returns {Model}
 */
function toModel(value, Cls, where) {
  if (value instanceof Cls) {
    return value;
  }
  if (!isPlainObject(value) || value instanceof Model) {
    throw new ApiTypeError(`Expected a ${Cls.name} or a plain object for ${where}`);
  }
  const model = new Cls();
  assignFields(model, value, Cls, where);
  return model;
}

/**
 * Throws unless every field of a model instance fits its schema; unknown fields are refused.
 * @param {Model} model
 * @param {ModelClass} Cls
 * @param {string} where
 */
function checkModel(model, Cls, where) {
  const record = /** @type {Object<string, unknown>} */ (/** @type {unknown} */ (model));
  for (const key of Object.keys(record)) {
    if (attributeOf(Cls, key) === undefined && record[key] !== undefined) {
      throw unknownField(key, Cls, where);
    }
  }
  for (const spec of Cls.attributes) {
    const value = record[spec.name];
    if (value === undefined || value === null) {
      if (spec.required) {
        throw new ApiValueError(`Missing the required field '${spec.name}' in ${where}`);
      }
      continue;
    }
    checkValue(value, spec, `'${spec.name}' in ${where}`);
  }
}

/**
 * Throws unless a value fits a parameter or field spec (type, enum, length, pattern,
 * range). Messages name the parameter; the value is shown only for an enum mismatch of
 * a field that is not secret.
 * @param {unknown} value
 * @param {FieldSpec} spec
 * @param {string} where
 */
function checkValue(value, spec, where) {
  const type = spec.type;
  if (Array.isArray(type)) {
    if (!Array.isArray(value)) {
      throw new ApiTypeError(`Expected an array for ${where}`);
    }
    value.forEach((item, index) => checkValue(item, { name: spec.name, type: type[0], secret: spec.secret }, `${where}[${index}]`));
    return;
  }
  if (typeof type === 'function') {
    checkModel(toModel(value, type, where), type, where);
    return;
  }
  switch (type) {
    case 'String':
      if (typeof value !== 'string') {
        throw new ApiTypeError(`Expected a string for ${where}, not ${kindOf(value)}`);
      }
      if (!isWellFormed(value)) {
        throw new ApiValueError(`Invalid value for ${where}: not encodable as UTF-8 (lone surrogate)`);
      }
      break;
    case 'Integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new ApiTypeError(`Expected an integer for ${where}, not ${kindOf(value)}`);
      }
      break;
    case 'Number':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ApiTypeError(`Expected a finite number for ${where}, not ${kindOf(value)}`);
      }
      break;
    case 'Boolean':
      if (typeof value !== 'boolean') {
        throw new ApiTypeError(`Expected a boolean for ${where}, not ${kindOf(value)}`);
      }
      break;
    case 'Date':
      if (!(value instanceof Date) && typeof value !== 'string') {
        throw new ApiTypeError(`Expected a Date for ${where}, not ${kindOf(value)}`);
      }
      break;
    default:
      break;
  }
  if (spec.enum && !spec.enum.includes(value)) {
    const allowed = spec.enum.map((item) => JSON.stringify(item)).join(', ');
    const given = spec.secret ? '' : `${JSON.stringify(String(value).slice(0, 40))} is `;
    throw new ApiValueError(`Invalid value for ${where}: ${given}not one of ${allowed}`);
  }
  if (typeof value === 'string') {
    if (spec.minLength !== undefined || spec.maxLength !== undefined) {
      const length = Array.from(value).length;
      if (spec.minLength !== undefined && length < spec.minLength) {
        throw new ApiValueError(`Invalid value for ${where}: must have at least ${spec.minLength} characters, not ${length}`);
      }
      if (spec.maxLength !== undefined && length > spec.maxLength) {
        throw new ApiValueError(`Invalid value for ${where}: must have at most ${spec.maxLength} characters, not ${length}`);
      }
    }
    if (spec.pattern && !patternOf(spec.pattern).test(value)) {
      throw new ApiValueError(`Invalid value for ${where}: must match ${spec.pattern}`);
    }
  }
  if (typeof value === 'number') {
    const { minimum, maximum } = spec;
    if (minimum !== undefined && (spec.exclusiveMinimum ? value <= minimum : value < minimum)) {
      throw new ApiValueError(`Invalid value for ${where}: must be ${spec.exclusiveMinimum ? 'above' : 'at least'} ${minimum}`);
    }
    if (maximum !== undefined && (spec.exclusiveMaximum ? value >= maximum : value > maximum)) {
      throw new ApiValueError(`Invalid value for ${where}: must be ${spec.exclusiveMaximum ? 'below' : 'at most'} ${maximum}`);
    }
  }
}

const wellFormed = /** @type {any} */ (String.prototype).isWellFormed;

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
 * beyond the schema are kept as they came. Throws a ShapeError naming the field.
 * @param {ModelClass} Cls
 * @param {unknown} data
 * @param {string} [where] The path of `data` in the answer, for nested models.
 * @returns {any}
 */
function readAnswer(Cls, data, where) {
  const at = where ? `${where} (${Cls.name})` : Cls.name;
  if (!isPlainObject(data)) {
    throw new ShapeError(`expected a JSON object for ${at}, got ${jsonKind(data)}`);
  }
  const record = /** @type {Object<string, unknown>} */ (data);
  const target = /** @type {Object<string, unknown>} */ (/** @type {unknown} */ (new Cls()));
  for (const spec of Cls.attributes) {
    const value = record[spec.name];
    const path = where ? `${where}.${spec.name}` : spec.name;
    if (value === undefined || value === null) {
      if (spec.required) {
        throw new ShapeError(`the answer has no '${path}', which ${Cls.name} requires`);
      }
      if (value === null) {
        target[spec.name] = null;
      }
      continue;
    }
    target[spec.name] = readValue(spec.type, value, path);
  }
  for (const key of Object.keys(record)) {
    if (key !== '__proto__' && attributeOf(Cls, key) === undefined) {
      target[key] = record[key];
    }
  }
  return target;
}

/**
 * @param {any} type
 * @param {unknown} value
 * @param {string} path
 * @returns {unknown}
 */
function readValue(type, value, path) {
  if (Array.isArray(type)) {
    if (!Array.isArray(value)) {
      throw new ShapeError(`'${path}' is ${jsonKind(value)} where the spec says an array`);
    }
    return value.map((item, index) => readValue(type[0], item, `${path}[${index}]`));
  }
  if (typeof type === 'function') {
    return readAnswer(type, value, path);
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
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) {
        return new Date(value);
      }
      fits = false;
      break;
    default:
      break;
  }
  if (!fits) {
    throw new ShapeError(`'${path}' is ${jsonKind(value)} where the spec says ${expected}`);
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

/**
 * A parameter or form value as it goes on the wire.
 * @param {unknown} value
 * @returns {string}
 */
function toText(value) {
  if (typeof value === 'string') {
    return value;
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  return String(value);
}

/**
 * The form fields of a model instance: the fields that are set, in schema order.
 * @param {Model} model
 * @param {ModelClass} Cls
 * @param {string} where
 * @returns {[string, string, FieldSpec][]}
 */
function formFields(model, Cls, where) {
  /** @type {[string, string, FieldSpec][]} */
  const fields = [];
  const record = /** @type {Object<string, unknown>} */ (/** @type {unknown} */ (model));
  for (const spec of Cls.attributes) {
    const value = record[spec.name];
    if (value === undefined || value === null) {
      continue;
    }
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== null && typeof item === 'object' && !(item instanceof Date)) {
        throw new ApiTypeError(`Expected a string, number or boolean for '${spec.name}' in ${where}`);
      }
      fields.push([spec.name, toText(item), spec]);
    }
  }
  return fields;
}

/**
 * A model or value as plain JSON data for a request body: models by their fields, in
 * full (no masking: this is what is sent).
 * @param {unknown} value
 * @returns {unknown}
 */
function plainData(value) {
  if (Array.isArray(value)) {
    return value.map(plainData);
  }
  if (value instanceof Model) {
    /** @type {Object<string, unknown>} */
    const data = {};
    const record = /** @type {Object<string, unknown>} */ (/** @type {unknown} */ (value));
    for (const key of Object.keys(record)) {
      if (record[key] !== undefined) {
        data[key] = plainData(record[key]);
      }
    }
    return data;
  }
  return value;
}

module.exports = {
  Model,
  ShapeError,
  attributeOf,
  checkModel,
  checkValue,
  formFields,
  isPlainObject,
  jsonKind,
  mask,
  patternOf,
  plainData,
  readAnswer,
  toModel,
  toText,
};
