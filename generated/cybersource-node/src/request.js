'use strict';
// The request of one call from its arguments, like the Python packages' _request.py: each
// argument checked against its schema (schema.js), then put where its parameter goes
// (path, query, header, cookie, form, body), encoded byte for byte as the Python packages
// encode it (a form and a query as urlencode / quote_plus, UTF-8, RFC 3986 unreserved
// characters kept). A token request's grant is checked for what it needs, and a request
// carrying a single-use credential is marked so (isSingleUse; retry.js acts on it). The
// credentials of the spec's security schemes are security.js; the host, route and TLS are
// added by api_client.js.

const { ApiTypeError, ApiValueError, quote } = require('./errors.js');
const { plainData, toModel } = require('./model.js');
const { SINGLE_USE_FIELDS } = require('./retry.js');
const { checkModel, checkValue } = require('./schema.js');
const { looksSecret } = require('./secrets.js');

/**
 * An operation as the generated api/ modules describe it. tokenGrants: a token operation's
 * grants (the spec's x-grants), null for any other; singleUse: the form field values whose
 * request the server uses up, e.g. {grant_type: ['refresh_token']} (x-single-use), or null.
 * @typedef {import('./schema').FieldSpec} FieldSpec
 * @typedef {import('./model').Model} Model
 * @typedef {import('./model').ModelClass} ModelClass
 * @typedef {{operationId: string, method: string, path: string, contentType: string|null,
 *   accept: string|null, authNames?: string[], params: FieldSpec[], returnType?: any,
 *   responses: Object<string, any>, tokenGrants?: string[]|null,
 *   singleUse?: Object<string, readonly string[]>|null}} Operation
 */

/** Visible ASCII, spaces and tabs: what a header value may hold. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
/** Text a form field keeps as it is (RFC 3986 unreserved); the rest is percent-encoded. */
const FORM_SAFE = /^[A-Za-z0-9_.~-]*$/;
/** The content type whose body is its fields, percent-encoded. */
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** What each grant needs besides grant_type, and the section of RFC 6749 that says so. */
const GRANT_NEEDS = Object.freeze({ authorization_code: ['code', '4.1.3'], refresh_token: ['refresh_token', '6'] });

/**
 * A request's parts as its parameters are added.
 * @typedef {{path: string, query: string, headers: Object<string, string>, cookies: string,
 *   form: string, body: unknown, secrets: string[], token: boolean,
 *   fields: Object<string, string>}} Parts
 * @typedef {{path: string, query: string, headers: Object<string, string>, payload: Buffer|null,
 *   secrets: string[], singleUse: boolean}} BuiltRequest
 */

/**
 * The request of one call as its arguments make it, before credentials and a host: path,
 * query text ('?...' or ''), headers (defaultHeaders first), body, the secrets it carries,
 * and whether it is single-use (isSingleUse). Throws when an argument does not fit the spec.
 * @param {Operation} operation
 * @param {Object<string, unknown>} args
 * @param {Object<string, string>} defaultHeaders
 * @returns {BuiltRequest}
 */
function buildRequest(operation, args, defaultHeaders) {
  /** @type {Parts} */
  const parts = {
    path: operation.path,
    query: '',
    headers: {},
    cookies: '',
    form: '',
    body: undefined,
    secrets: [],
    token: Boolean(operation.tokenGrants),
    fields: {}, // the form fields sent, by name (the last value): grant and single-use checks
  };
  for (const param of operation.params) {
    addParam(parts, operation, param, args[param.name]);
  }
  if (parts.token) {
    checkGrant(operation, parts.fields);
  }
  if (parts.cookies) {
    parts.headers.Cookie = parts.cookies;
  }
  const payload = payloadOf(operation, parts);
  return {
    path: parts.path,
    query: parts.query,
    headers: requestHeaders(operation, defaultHeaders, parts.headers, payload),
    payload,
    secrets: parts.secrets,
    singleUse: isSingleUse(operation, parts.fields),
  };
}

/**
 * Whether a request carries a credential the server uses up (Python: Operation.is_single_use):
 * a field value the operation's singleUse lists (e.g. grant_type refresh_token), or, for a
 * token operation or one with singleUse, a non-empty code or refresh_token (RFC 6749
 * sections 4.1.2 and 10.4) whatever its grant_type (which a server may default).
 * @param {Operation} operation
 * @param {Object<string, string>} fields The form fields sent, by name.
 * @returns {boolean}
 */
function isSingleUse(operation, fields) {
  const singleUse = operation.singleUse || {};
  const names = Object.keys(singleUse);
  if (operation.tokenGrants || names.length > 0) {
    for (const name of SINGLE_USE_FIELDS) {
      if (Object.hasOwn(fields, name) && fields[name] !== '') {
        return true;
      }
    }
  }
  return names.some((name) => Object.hasOwn(fields, name) && singleUse[name].includes(fields[name]));
}

/**
 * Checks one argument and adds it where its parameter goes.
 * @param {Parts} parts
 * @param {Operation} operation
 * @param {FieldSpec} param
 * @param {unknown} value
 */
function addParam(parts, operation, param, value) {
  if (value === undefined || value === null) {
    if (param.required) {
      throw new ApiValueError(`Missing the required parameter ${whereOf(operation, param)}`);
    }
    return;
  }
  const where = whereOf(operation, param);
  if (param.in === 'body' && operation.contentType === FORM_TYPE && typeof param.type === 'function') {
    // A body model sent as a form: its fields are the form fields.
    const Cls = param.type;
    const model = toModel(value, Cls, where);
    checkModel(model, Cls, where);
    formFields(parts, model, Cls, where);
    return;
  }
  checkValue(value, param, where);
  if (param.in === 'body') {
    parts.body = value;
    return;
  }
  const texts = Array.isArray(value) ? value.map(toText) : [toText(value)];
  if (param.secret || looksSecret(/** @type {string} */ (param.baseName))) {
    parts.secrets.push(...texts);
  }
  const location = Object.hasOwn(LOCATIONS, /** @type {string} */ (param.in)) ? LOCATIONS[/** @type {string} */ (param.in)] : undefined;
  if (location === undefined) {
    throw new ApiValueError(`Parameters in ${param.in} are not supported (${where})`);
  }
  location(parts, /** @type {string} */ (param.baseName), texts, where, param);
}

/**
 * How a parameter's texts (one per item of an array) go into each location.
 * @type {Object<string, (parts: Parts, name: string, texts: string[], where: string, param: FieldSpec) => void>}
 */
const LOCATIONS = {
  path(parts, name, texts) {
    parts.path = parts.path.replace(`{${name}}`, encodeURIComponent(texts.join(',')));
  },
  query(parts, name, texts) {
    for (const text of texts) {
      parts.query += `${parts.query ? '&' : '?'}${formName(name)}=${formEncode(text)}`;
    }
  },
  header(parts, name, texts, where) {
    parts.headers[name] = headerValue(texts.join(','), where);
  },
  cookie(parts, name, texts, where) {
    parts.cookies += `${parts.cookies ? '; ' : ''}${name}=${headerValue(encodeURIComponent(texts.join(',')), where)}`;
  },
  form(parts, name, texts, _where, param) {
    for (const text of texts) {
      addFormField(parts, name, text, param);
    }
  },
};

/**
 * Adds a form field; notes a secret, and the field's value by name (a repeated field's last,
 * as Python's dict of the form keeps it).
 * @param {Parts} parts
 * @param {string} name
 * @param {string} text
 * @param {FieldSpec} spec
 */
function addFormField(parts, name, text, spec) {
  parts.form += `${parts.form ? '&' : ''}${formName(name)}=${formEncode(text)}`;
  if (spec.secret || looksSecret(name)) {
    parts.secrets.push(text);
  }
  parts.fields[name] = text;
}

/**
 * Throws when a token request's grant lacks what it needs besides grant_type.
 * @param {Operation} operation
 * @param {Object<string, string>} fields
 */
function checkGrant(operation, fields) {
  if (Object.hasOwn(fields, 'grant_type') && Object.hasOwn(GRANT_NEEDS, fields.grant_type)) {
    const [needed, section] = /** @type {any} */ (GRANT_NEEDS)[fields.grant_type];
    if (!fields[needed]) {
      throw new ApiValueError(`Missing the required parameter ${fieldWhere(operation, needed)}: grant_type ${fields.grant_type} needs it (RFC 6749 section ${section})`);
    }
  }
}

/**
 * The body's bytes: the form, or the body parameter (bytes, text, or JSON); null for none.
 * @param {Operation} operation
 * @param {Parts} parts
 * @returns {Buffer|null}
 */
function payloadOf(operation, parts) {
  if (parts.form !== '' || operation.contentType === FORM_TYPE) {
    return Buffer.from(parts.form, 'latin1'); // form-encoded text is ASCII
  }
  const body = parts.body;
  if (body === undefined) {
    return null;
  }
  return Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(plainData(body)), 'utf8');
}

/**
 * The headers of a request: the default ones, the parameters', Accept, and the body's.
 * @param {Operation} operation
 * @param {Object<string, string>} defaultHeaders
 * @param {Object<string, string>} headers
 * @param {Buffer|null} payload
 * @returns {Object<string, string>}
 */
function requestHeaders(operation, defaultHeaders, headers, payload) {
  /** @type {Object<string, string>} */
  const all = {};
  for (const name in defaultHeaders) {
    all[name] = defaultHeaders[name];
  }
  for (const name in headers) {
    all[name] = headers[name];
  }
  if (operation.accept) {
    all.Accept = operation.accept;
  }
  if (payload !== null) {
    all['Content-Type'] = operation.contentType || 'application/octet-stream';
    all['Content-Length'] = String(payload.length);
  }
  return all;
}

/** @type {WeakMap<FieldSpec, string>} */
const whereCache = new WeakMap();

/**
 * How messages name a parameter: `'name' when calling operationId`.
 * @param {Operation} operation
 * @param {FieldSpec} param
 * @returns {string}
 */
function whereOf(operation, param) {
  let where = whereCache.get(param);
  if (where === undefined) {
    where = `'${param.name}' when calling ${operation.operationId}`;
    whereCache.set(param, where);
  }
  return where;
}

/**
 * How messages name the argument that carries a form field: `'name' when calling
 * operationId`, `'param.field' when calling operationId` for a field of a body model.
 * @param {Operation} operation
 * @param {string} field The field's wire name.
 * @returns {string}
 */
function fieldWhere(operation, field) {
  for (const param of operation.params) {
    if (param.in === 'form' && param.baseName === field) {
      return whereOf(operation, param);
    }
    if (param.in === 'body' && typeof param.type === 'function' && Array.isArray(param.type.attributes)) {
      if (param.type.attributes.some((/** @type {FieldSpec} */ spec) => spec.name === field)) {
        return `'${param.name}.${field}' when calling ${operation.operationId}`;
      }
    }
  }
  return `'${field}' when calling ${operation.operationId}`;
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
 * Adds the form fields of a model instance: each field that is set, in schema order (each
 * item of an array).
 * @param {Parts} parts
 * @param {Model} model
 * @param {ModelClass} Cls
 * @param {string} where
 */
function formFields(parts, model, Cls, where) {
  const record = /** @type {Object<string, unknown>} */ (/** @type {unknown} */ (model));
  for (const spec of Cls.attributes) {
    const value = record[spec.name];
    if (value === undefined || value === null) {
      continue;
    }
    if (Array.isArray(value)) {
      for (const item of value) {
        addFormField(parts, spec.name, formText(item, spec, where), spec);
      }
    } else {
      addFormField(parts, spec.name, formText(value, spec, where), spec);
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
 * A name or value as application/x-www-form-urlencoded text: UTF-8 percent-encoded but for
 * the RFC 3986 unreserved characters, spaces as '+', byte for byte what the Python
 * packages send (urllib.parse.quote_plus).
 * @param {string} text
 * @returns {string}
 */
function formEncode(text) {
  return FORM_SAFE.test(text) ? text : quote(text).replace(/%20/g, '+');
}

/** @type {Map<string, string>} The names of the spec's fields, encoded once. */
const encodedNames = new Map();

/**
 * A field name as formEncode gives it; the spec's few names are encoded once.
 * @param {string} name
 * @returns {string}
 */
function formName(name) {
  let encoded = encodedNames.get(name);
  if (encoded === undefined) {
    encoded = formEncode(name);
    if (encodedNames.size < 256) {
      encodedNames.set(name, encoded);
    }
  }
  return encoded;
}

/**
 * @param {string} value
 * @param {string} where
 * @returns {string}
 */
function headerValue(value, where) {
  if (!HEADER_VALUE.test(value)) {
    throw new ApiValueError(`Invalid value for ${where}: a header holds only printable ASCII (no CR, LF or control)`);
  }
  return value;
}

module.exports = { buildRequest, formEncode, formName, headerValue };
