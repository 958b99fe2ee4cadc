'use strict';
// When a failed call is sent again, and how long to wait first, like the Python packages'
// _retry.py. A call is retried only when the server certainly did not process it: no
// connection could be made (nothing reached the server), or it answered 429 Too Many
// Requests or 503 Service Unavailable.
//
// A request that carries a single-use credential (an authorization code, a refresh token
// that the provider rotates) is different: if a gateway answers 503 after the server spent
// it, sending it again gets invalid_grant and loses the new token. Such a request is
// retried only when no connection was made, or on 429 with a Retry-After header (the
// server refused it before looking at it). Which requests are single-use is decided by
// request.js from the operation's singleUse grants (the spec's x-single-use).

/** Statuses that say the request was not processed, so sending it again is safe. */
const RETRY_STATUSES = new Set([429, 503]);

/**
 * The form fields of a token request whose value the server uses up: an authorization code
 * and a refresh token (RFC 6749 sections 4.1.2 and 10.4). A token request carrying one is
 * single-use whatever its grant_type says (a server may default a grant_type left out).
 */
const SINGLE_USE_FIELDS = new Set(['code', 'refresh_token']);

/**
 * @typedef {{retries: number, backoffFactor: number, retryAfterCap: number, random: () => number}} RetryPolicy
 *   The client's settings: retries after the first attempt; the first backoff ceiling in
 *   seconds, doubled on each retry; the longest Retry-After honoured; the jitter source.
 */

/**
 * Whether an answer with `status` may be sent again (attempts aside): 429 or 503, with no
 * Retry-After above the cap; a single-use request only on 429 with Retry-After.
 * @param {RetryPolicy} policy
 * @param {number} status
 * @param {number|null} retryAfter Seconds, from the answer's Retry-After.
 * @param {boolean} singleUse
 * @returns {boolean}
 */
function retryStatus(policy, status, retryAfter, singleUse) {
  if (!RETRY_STATUSES.has(status)) {
    return false;
  }
  if (retryAfter !== null && retryAfter > policy.retryAfterCap) {
    return false;
  }
  // A single-use grant the server may have seen goes again only when it said
  // "not processed, come back later": 429 with Retry-After.
  return !singleUse || (status === 429 && retryAfter !== null);
}

/**
 * Exponential backoff with full jitter: up to backoffFactor * 2 ** attempt seconds, capped.
 * @param {RetryPolicy} policy
 * @param {number} attempt
 * @returns {number}
 */
function backoff(policy, attempt) {
  return Math.min(policy.random() * policy.backoffFactor * 2 ** attempt, policy.retryAfterCap);
}

/**
 * Seconds to wait from a Retry-After value (seconds or an HTTP date), or null.
 * @param {string|string[]|undefined} value
 * @param {number} [now] The time in milliseconds since the epoch.
 * @returns {number|null}
 */
function retryAfterSeconds(value, now = Date.now()) {
  if (typeof value !== 'string' || value.trim() === '') {
    return null;
  }
  const text = value.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(text)) {
    const seconds = Number(text);
    return Number.isFinite(seconds) ? seconds : null;
  }
  if (!/[a-z]/i.test(text)) {
    return null; // a negative or odd number, not a date
  }
  const when = Date.parse(text);
  return Number.isNaN(when) ? null : Math.max(0, (when - now) / 1000);
}

module.exports = { SINGLE_USE_FIELDS, backoff, retryAfterSeconds, retryStatus };
