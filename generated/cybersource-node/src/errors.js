'use strict';
// Every error this package makes; the same hierarchy as the Python packages' exceptions.py
// (templates/RUNTIME-CONTRACT.md).
//
// A failed call gives an ApiError: a subclass per HTTP status, MalformedResponseError for
// an answer that is not what the spec promises, ApiConnectionError / ApiTimeoutError when
// no answer came (status 0). Arguments that do not fit the spec throw ApiTypeError (a
// TypeError) or ApiValueError (a RangeError) before anything is sent.

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

module.exports = {
  ...ERRORS,
  errorClassFor,
  hidden,
  oauthErrorFields,
  LONE_SURROGATE,
  quote,
};
