'use strict';
// The base class of every generated model, like the Python packages' _model.py: a model
// class has `attributes`, one entry per schema property in schema order (schema.js's
// FieldSpec); `new Model({...})` refuses fields the schema does not have, and what
// util.inspect, toString() and JSON.stringify show has the secret fields masked.
// Checking values against the schema is schema.js.

const { ApiTypeError } = require('./errors.js');
const { mask } = require('./secrets.js');

/**
 * @typedef {import('./schema').FieldSpec} FieldSpec
 * @typedef {{name: string, attributes: readonly FieldSpec[], new (values?: object): Model}} ModelClass
 */

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

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
  attributeOf,
  isPlainObject,
  plainData,
  toModel,
  unknownField,
};
