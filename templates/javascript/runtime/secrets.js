'use strict';
// Secrets: which values are secret, and how they are kept out of what is shown. One home
// for the rule (templates/RUNTIME-CONTRACT.md, "Secrets"), twin of the Python packages'
// _secrets.py:
// - a field or parameter is secret when the spec marks it x-secret or its name holds one of
//   SECRET_WORDS (looksSecret); messages never repeat such a value, nor any value longer
//   than SHOWN_VALUE_LENGTH;
// - a request model shows its secrets masked (mask);
// - the secrets a request carries (credentialSecrets, beside those request.js notes of its
//   parameters and fields) and the tokens a token answer issued (issuedTokens) are
//   [redacted] from the error it raises, in every form a server may echo them in (redact,
//   redactHeaders).

const { LONE_SURROGATE, quote } = require('./errors.js');

/** @typedef {import('./security').Credentials} Credentials */

/** What replaces a secret in error text. */
const REDACTED = '[redacted]';

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
 * A secret as it may be shown: its first four characters when it is long, then an ellipsis.
 * @param {string} secret
 * @returns {string}
 */
function mask(secret) {
  const chars = Array.from(secret);
  return `${chars.length >= 12 ? chars.slice(0, 4).join('') : ''}\u2026`;
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

/**
 * The credentials a request may carry, to redact from what a server echoes: every
 * configured key, token and password, and the Authorization value (with the password
 * of an HTTP Basic one, as sent and form-decoded).
 * @param {Credentials} client
 * @param {Object<string, string>} headers
 * @returns {string[]}
 */
function credentialSecrets(client, headers) {
  const found = Object.values(client.apiKey || {});
  for (const value of [client.accessToken, client.password]) {
    if (value) {
      found.push(value);
    }
  }
  const authorization = headers.Authorization || '';
  const space = authorization.indexOf(' ');
  if (space >= 0) {
    const value = authorization.slice(space + 1);
    found.push(value);
    if (authorization.slice(0, space).toLowerCase() === 'basic') {
      const password = basicPassword(value);
      found.push(password, formDecode(password));
    }
  }
  return found;
}

/**
 * The password of an HTTP Basic value ('' when it cannot be read).
 * @param {string} value
 * @returns {string}
 */
function basicPassword(value) {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    return '';
  }
  let pair;
  try {
    pair = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'base64'));
  } catch {
    return '';
  }
  const colon = pair.indexOf(':');
  return colon < 0 ? '' : pair.slice(colon + 1);
}

/**
 * Form-encoded text decoded ('+' a space, %XX its byte), as Python's unquote_plus does.
 * @param {string} text
 * @returns {string}
 */
function formDecode(text) {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

module.exports = {
  SHOWN_VALUE_LENGTH,
  credentialSecrets,
  formDecode,
  issuedTokens,
  looksSecret,
  mask,
  redact,
  redactHeaders,
};
