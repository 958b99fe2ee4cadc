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

const { ApiTypeError, ApiValueError } = require('./errors.js');

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** An answer that does not have the shape the spec gives it. */
class ShapeError extends Error {}

/**
 * @typedef {{name: string, type: any, required?: boolean, secret?: boolean, enum?: any[],
 *   minLength?: number, maxLength?: number, pattern?: string|RegExp, minimum?: number,
 *   maximum?: number, exclusiveMinimum?: boolean, exclusiveMaximum?: boolean,
 *   baseName?: string, in?: string}} FieldSpec
 * @typedef {{name: string, attributes: readonly FieldSpec[], new (values?: object): Model}} ModelClass
 * @typedef {{path: string, problem: string}} Break A facet an answer's field breaks.
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
      assignFields(this, values, /** @type {ModelClass} */ (/** @type {unknown} */ (new.target)));
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
 * @param {string} [where] How messages name the argument (the class, when absent).
 */
function assignFields(target, values, Cls, where) {
  if (!isPlainObject(values)) {
    throw new ApiTypeError(`Expected an object of fields for ${where || Cls.name}`);
  }
  const record = /** @type {Object<string, unknown>} */ (values);
  const out = /** @type {Object<string, unknown>} */ (target);
  for (const key of Object.keys(record)) {
    if (attributeOf(Cls, key) === undefined) {
      throw unknownField(key, Cls, where || Cls.name);
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
  switch (type) {
    case 'String':
      if (typeof value !== 'string') {
        throw new ApiTypeError(`Expected a string for ${place(where, field)}, not ${kindOf(value)}`);
      }
      if (!isWellFormed(value)) {
        throw new ApiValueError(`Invalid value for ${place(where, field)}: not encodable as UTF-8 (lone surrogate)`);
      }
      break;
    case 'Integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new ApiTypeError(`Expected an integer for ${place(where, field)}, not ${kindOf(value)}`);
      }
      break;
    case 'Number':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ApiTypeError(`Expected a finite number for ${place(where, field)}, not ${kindOf(value)}`);
      }
      break;
    case 'Boolean':
      if (typeof value !== 'boolean') {
        throw new ApiTypeError(`Expected a boolean for ${place(where, field)}, not ${kindOf(value)}`);
      }
      break;
    case 'Date':
      if (!(value instanceof Date) && typeof value !== 'string') {
        throw new ApiTypeError(`Expected a Date for ${place(where, field)}, not ${kindOf(value)}`);
      }
      break;
    default:
      break;
  }
  const problem = facetProblem(value, spec);
  if (problem !== null) {
    // Named only where it helps and cannot be a secret in the wrong place: a short word
    // outside an enum ("grant_type_example" is not one of ...); generated secrets are
    // longer or hold digits.
    const named = spec.enum !== undefined && !spec.enum.includes(value) && typeof value === 'string'
      && value.length <= SHOWN_VALUE_LENGTH && !/[0-9]/.test(value) && !spec.secret && !looksSecret(spec.name);
    throw new ApiValueError(`Invalid value for ${place(where, field)}: ${named ? `${JSON.stringify(value)} is ` : ''}${problem}`);
  }
}

/**
 * What is wrong with a value of the right type in the facets of its spec (enum, length,
 * pattern, range), without the value; null when nothing is.
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
 * A facet an answer's field breaks: refused (a ShapeError) when `breaks` is null (strict),
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

/** The longest value a message repeats (an enum miss); a longer one may be a secret. */
const SHOWN_VALUE_LENGTH = 32;

/** Words that mark a field as secret even where the spec has no x-secret. */
const SECRET_WORDS = /secret|password|token|code|key|credential|authorization/i;

/**
 * Whether a field's name says its value is a secret: redacted from errors, never shown.
 * @param {string} name
 * @returns {boolean}
 */
function looksSecret(name) {
  return SECRET_WORDS.test(name);
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
 * The form fields of a model instance: `add(name, text, spec)` for each field that is
 * set, in schema order (each item of an array).
 * @param {Model} model
 * @param {ModelClass} Cls
 * @param {string} where
 * @param {(name: string, text: string, spec: FieldSpec) => void} add
 */
function formFields(model, Cls, where, add) {
  const record = /** @type {Object<string, unknown>} */ (/** @type {unknown} */ (model));
  for (const spec of Cls.attributes) {
    const value = record[spec.name];
    if (value === undefined || value === null) {
      continue;
    }
    if (Array.isArray(value)) {
      for (const item of value) {
        add(spec.name, formText(item, spec, where), spec);
      }
    } else {
      add(spec.name, formText(value, spec, where), spec);
    }
  }
}

/**
 * @param {unknown} item
 * @param {FieldSpec} spec
 * @param {string} where
 * @returns {string}
 */
function formText(item, spec, where) {
  if (typeof item === 'string') {
    return item;
  }
  if (item !== null && typeof item === 'object' && !(item instanceof Date)) {
    throw new ApiTypeError(`Expected a string, number or boolean for '${spec.name}' in ${where}`);
  }
  return toText(item);
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
  looksSecret,
  mask,
  patternOf,
  plainData,
  readAnswer,
  toModel,
  toText,
};
