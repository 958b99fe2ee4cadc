'use strict';
// Every error this package makes; the same hierarchy as the Python packages' exceptions.py
// (templates/RUNTIME-CONTRACT.md).
//
// A failed call gives an ApiError: a subclass per HTTP status, MalformedResponseError for
// an answer that is not what the spec promises, ApiConnectionError / ApiTimeoutError when
// no answer came (status 0). Arguments that do not fit the spec throw ApiTypeError (a
// TypeError) or ApiValueError (a RangeError) before anything is sent.

/** What replaces a secret in error text. */
const REDACTED = '[redacted]';

/**
 * A call that failed. `status` is the HTTP status, 0 when no answer came. For an OAuth
 * error answer, `error`, `error_description` and `error_uri` are the fields of its JSON
 * body; `retryAfter` is the seconds a Retry-After header asked to wait (else null).
 * `headers`, `data` (the body as the error model the spec declares) and `response` are
 * attached but kept out of console output.
 */
class ApiError extends Error {
  /**
   * @param {string} message One line, without secrets.
   * @param {{status?: number, statusText?: string, headers?: object, body?: string,
   *   data?: unknown, response?: object, retryAfter?: number|null, hideBody?: boolean,
   *   error?: string, error_description?: string, error_uri?: string}} [fields]
   */
  constructor(message, fields = {}) {
    super(message);
    /** @type {number} */
    this.status = fields.status || 0;
    /** @type {string|undefined} */
    this.statusText = fields.statusText;
    /** @type {number|null} */
    this.retryAfter = fields.retryAfter === undefined ? null : fields.retryAfter;
    // The OAuth error fields are own fields only when the answer carried them.
    if (fields.error !== undefined) {
      /** @type {string|undefined} */
      this.error = fields.error;
    }
    if (fields.error_description !== undefined) {
      /** @type {string|undefined} */
      this.error_description = fields.error_description;
    }
    if (fields.error_uri !== undefined) {
      /** @type {string|undefined} */
      this.error_uri = fields.error_uri;
    }
    hidden(this, 'headers', fields.headers);
    hidden(this, 'data', fields.data === undefined ? null : fields.data);
    hidden(this, 'response', fields.response);
    // The body of a successful answer may hold tokens: reachable, but out of sight.
    if (fields.hideBody) {
      hidden(this, 'body', fields.body);
    } else {
      /** @type {string|undefined} */
      this.body = fields.body;
    }
  }
}

/** The server answered 400 Bad Request. */
class BadRequestException extends ApiError {}
/** The server answered 401 Unauthorized. */
class UnauthorizedException extends ApiError {}
/** The server answered 403 Forbidden. */
class ForbiddenException extends ApiError {}
/** The server answered 404 Not Found. */
class NotFoundException extends ApiError {}
/** The server answered 409 Conflict. */
class ConflictException extends ApiError {}
/** The server answered 422 Unprocessable Entity. */
class UnprocessableEntityException extends ApiError {}
/** The server answered 429 Too Many Requests; see `retryAfter`. */
class TooManyRequestsException extends ApiError {}
/** The server answered with a 5xx status. */
class ServiceException extends ApiError {}
/** The answer could not be read as the spec says: not JSON, empty, or the wrong shape. */
class MalformedResponseError extends ApiError {}

/**
 * No answer was received: refused, reset, DNS or TLS failure. `connected` is false when
 * no connection could be made, so the server certainly did not see the request; `code`
 * is Node's error code (ECONNREFUSED, ENOTFOUND, ECONNRESET, ...) and `cause` its error.
 */
class ApiConnectionError extends ApiError {
  /**
   * @param {string} message
   * @param {{connected: boolean, code?: string, cause?: unknown}} fields
   */
  constructor(message, fields) {
    super(message);
    /** @type {boolean} */
    this.connected = fields.connected;
    /** @type {string|undefined} */
    this.code = fields.code;
    hidden(this, 'cause', fields.cause);
  }
}

/** Connecting, or waiting for the answer, took longer than the timeout (code ETIMEDOUT). */
class ApiTimeoutError extends ApiConnectionError {}

/**
 * A token store could not be reached, read or written (status 0, as nothing was
 * answered). The message names the store, never a token.
 */
class TokenStoreError extends ApiError {}

/** An argument has the wrong type (or an unknown field); nothing was sent. */
class ApiTypeError extends TypeError {}

/** An argument breaks a constraint of the spec, or a setting is invalid; nothing was sent. */
class ApiValueError extends RangeError {}

const OAUTH_FIELDS = ['error', 'error_description', 'error_uri'];

const ERRORS = {
  ApiError,
  BadRequestException,
  UnauthorizedException,
  ForbiddenException,
  NotFoundException,
  ConflictException,
  UnprocessableEntityException,
  TooManyRequestsException,
  ServiceException,
  MalformedResponseError,
  ApiConnectionError,
  ApiTimeoutError,
  TokenStoreError,
  ApiTypeError,
  ApiValueError,
};
// `name` on the prototype: stack traces and util.inspect show the class, and it is not
// an own field of every error.
for (const [name, cls] of Object.entries(ERRORS)) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
}

/** @type {Object<number, typeof ApiError>} */
const BY_STATUS = {
  400: BadRequestException,
  401: UnauthorizedException,
  403: ForbiddenException,
  404: NotFoundException,
  409: ConflictException,
  422: UnprocessableEntityException,
  429: TooManyRequestsException,
};

/**
 * The ApiError subclass for an HTTP status.
 * @param {number} status
 * @returns {typeof ApiError}
 */
function errorClassFor(status) {
  if (status >= 500) {
    return ServiceException;
  }
  return BY_STATUS[status] || ApiError;
}

/**
 * RFC 6749 error fields of a JSON body; empty when there are none.
 * @param {string} text
 * @returns {{error?: string, error_description?: string, error_uri?: string}}
 */
function oauthErrorFields(text) {
  /** @type {Object<string, string>} */
  const fields = {};
  if (!text || text.trimStart()[0] !== '{') {
    return fields;
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fields;
  }
  for (const key of OAUTH_FIELDS) {
    if (typeof parsed[key] === 'string') {
      fields[key] = parsed[key];
    }
  }
  return fields;
}

/**
 * `text` with every secret value (of four characters or more) replaced by [redacted]: as
 * sent, JSON-escaped (non-ASCII as is, or as \uXXXX; '/' as is, or as \/), percent-encoded and form-encoded (as
 * quote_plus and as URLSearchParams encode it).
 * @param {string} text
 * @param {string[]} secrets
 * @returns {string}
 */
function redact(text, secrets) {
  let result = text;
  // Longest first, so that a secret inside another goes with it; secrets shorter than four
  // characters are left: replacing every 'a' would say more than it hides.
  const sorted = secrets.filter((secret) => typeof secret === 'string' && secret.length >= 4);
  sorted.sort((a, b) => b.length - a.length);
  for (const secret of sorted) {
    const encoded = quote(secret);
    const escaped = JSON.stringify(secret).slice(1, -1);
    // As JSON writers that escape all but ASCII (Python's json.dumps) write it.
    const ascii = escaped.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const forms = new Set([
      secret,
      escaped,
      ascii,
      // '/' as '\/', as PHP's json_encode writes it.
      escaped.replace(/\//g, '\\/'),
      ascii.replace(/\//g, '\\/'),
      encoded,
      encoded.replace(/%20/g, '+'),
      encodeURIComponent(secret.replace(LONE_SURROGATE, '\ufffd')),
      new URLSearchParams([['', secret]]).toString().slice(1),
    ]);
    for (const form of forms) {
      if (result.includes(form)) {
        result = result.split(form).join(REDACTED);
      }
    }
  }
  return result;
}

/** The fields of a token answer that hold credentials (RFC 6749 and OpenID Connect). */
const TOKEN_FIELDS = ['access_token', 'refresh_token', 'id_token'];

/** A token field as JSON writes it, its value to the closing quote or the end of a cut body. */
const TOKEN_TEXT = /"(?:access_token|refresh_token|id_token)"\s*:\s*"((?:[^"\\]|\\.)*)/g;

/**
 * The credentials a token answer holds, whatever else is wrong with it, as _api_client.py's
 * issued_tokens finds them: the values of its JSON token fields, and every
 * `"access_token": "..."`-like value in its text (a body cut short, HTML around it, not an
 * object), as written (escapes and all) and unescaped.
 * @param {string} text
 * @returns {string[]}
 */
function issuedTokens(text) {
  /** @type {string[]} */
  const found = [];
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    for (const key of TOKEN_FIELDS) {
      if (typeof parsed[key] === 'string') {
        found.push(parsed[key]);
      }
    }
  }
  for (const match of text.matchAll(TOKEN_TEXT)) {
    found.push(match[1]);
    try {
      found.push(JSON.parse(`"${match[1]}"`));
    } catch {
      // an escape cut short: the text as written is enough
    }
  }
  return found;
}

/** A UTF-16 surrogate without its pair: not text UTF-8 can encode. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text UTF-8 percent-encoded but for the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _
 * ~), as Python's urllib.parse.quote(text, safe='') gives it; a lone surrogate as U+FFFD.
 * @param {string} text
 * @returns {string}
 */
function quote(text) {
  return encodeURIComponent(text.replace(LONE_SURROGATE, '\ufffd'))
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A non-enumerable own property: reachable, but not shown by util.inspect or JSON.
 * @param {object} target
 * @param {string} key
 * @param {unknown} value
 */
function hidden(target, key, value) {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

/**
 * A copy of `headers` (Node's answer headers: lower-case names, a string or an array of
 * strings each) with every secret cut out of the values as {@link redact} does.
 * @param {Object<string, string|string[]|undefined>} headers
 * @param {string[]} secrets
 * @returns {Object<string, string|string[]|undefined>}
 */
function redactHeaders(headers, secrets) {
  /** @type {Object<string, string|string[]|undefined>} */
  const copy = {};
  for (const [name, value] of Object.entries(headers || {})) {
    copy[name] = Array.isArray(value) ? value.map((item) => redact(item, secrets))
      : typeof value === 'string' ? redact(value, secrets) : value;
  }
  return copy;
}

module.exports = {
  ...ERRORS,
  errorClassFor,
  hidden,
  issuedTokens,
  oauthErrorFields,
  quote,
  redact,
  redactHeaders,
};
