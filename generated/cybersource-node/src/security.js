'use strict';
// Credentials of the spec's security schemes, sent as the Python packages send them
// (its twin _security.py): an operation sends the first of
// its security schemes that is configured, and only that one (apiKey with its apiKeyPrefix
// in a header, query parameter or cookie; accessToken or tokenManager as a bearer token;
// username and password as HTTP Basic). What a request carries counts as a secret for
// redaction (secrets.js's credentialSecrets). The 401 that makes a tokenManager fetch a new token is api_client.js's.

const { formEncode, formName, headerValue } = require('./request.js');

/**
 * @typedef {import('./request').Operation} Operation
 * @typedef {import('./configuration').Settings} Settings
 * @typedef {import('./configuration').SecurityScheme} SecurityScheme
 * @typedef {import('./configuration').TokenSource} TokenSource
 */

/**
 * @typedef {{credentials?: Object<string, string>, useTokenManager?: boolean}} CallOptions
 * @typedef {{settings: Settings, apiKey: Object<string, string>, apiKeyPrefix: Object<string, string>,
 *   accessToken?: string, username?: string, password?: string, tokenManager?: TokenSource}} Credentials
 *   The settings of a client that say what it sends.
 */

/**
 * Adds a call's credentials to its headers: the headers `call.credentials` gives (a
 * TokenManager's client authentication, even none), which replace any default
 * Authorization header, else those of the first configured scheme of the operation's
 * security.
 * @param {Credentials} client
 * @param {Operation} operation
 * @param {Object<string, string>} headers
 * @param {CallOptions} [call]
 * @returns {{query: string, managed: string|null}} The query text to add; the header a
 *   bearer token from tokenManager goes in, when it supplies the credential.
 */
function addCredentials(client, operation, headers, call) {
  if (call && call.credentials) { // the only credentials: not even a default Authorization
    for (const name of Object.keys(headers).filter((key) => key.toLowerCase() === 'authorization')) {
      delete headers[name];
    }
    for (const name in call.credentials) {
      headers[name] = headerValue(call.credentials[name], `the credentials header ${name}`);
    }
  } else if (operation.authNames && operation.authNames.length) {
    const useTokenManager = !call || call.useTokenManager !== false;
    return authorize(client, operation.authNames, headers, useTokenManager);
  }
  return { query: '', managed: null };
}

/**
 * Adds the credentials of the first configured scheme of `names` (an operation's
 * security) to `headers`, as _api_client.py's _authorize does.
 * @param {Credentials} client
 * @param {string[]} names
 * @param {Object<string, string>} headers
 * @param {boolean} useTokenManager
 * @returns {{query: string, managed: string|null}}
 */
function authorize(client, names, headers, useTokenManager) {
  const schemes = client.settings.securitySchemes || [];
  const manager = useTokenManager ? client.tokenManager : undefined;
  for (const name of names) {
    const scheme = schemes.find((candidate) => candidate.name === name);
    if (scheme === undefined) {
      continue;
    }
    if (scheme.kind === 'bearer' && manager) {
      return { query: '', managed: scheme.param };
    }
    const value = credential(client, scheme);
    if (value === null) {
      continue;
    }
    if (scheme.where === 'query') {
      return { query: `${formName(scheme.param)}=${formEncode(value)}`, managed: null };
    }
    if (scheme.where === 'cookie') {
      const cookie = headerValue(`${scheme.param}=${value}`, `credentials of ${name}`);
      headers.Cookie = headers.Cookie ? `${headers.Cookie}; ${cookie}` : cookie;
    } else {
      headers[scheme.param] = headerValue(value, `credentials of ${name}`);
    }
    return { query: '', managed: null };
  }
  return { query: '', managed: null };
}

/**
 * The value a configured scheme sends, or null when it is not configured.
 * @param {Credentials} client
 * @param {SecurityScheme} scheme
 * @returns {string|null}
 */
function credential(client, scheme) {
  if (scheme.kind === 'bearer') {
    return client.accessToken ? `Bearer ${client.accessToken}` : null;
  }
  if (scheme.kind === 'basic') {
    if (typeof client.username !== 'string' || typeof client.password !== 'string') {
      return null;
    }
    return basicAuthorization(client.username, client.password);
  }
  const key = (client.apiKey || {})[scheme.name];
  if (!key) {
    return null;
  }
  const prefix = (client.apiKeyPrefix || {})[scheme.name];
  return prefix ? `${prefix} ${key}` : key;
}

/**
 * An `Authorization` value for HTTP Basic (RFC 7617, UTF-8).
 * @param {string} username
 * @param {string} password
 * @returns {string}
 */
function basicAuthorization(username, password) {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

module.exports = { addCredentials, basicAuthorization };
