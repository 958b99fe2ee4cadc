'use strict';
// A small package made from the runtime sources in templates/javascript/runtime, as the
// generator would make it from a spec: two models, a token operation, an operation secured
// by several schemes, an ApiClient with two named servers and five security schemes, a
// TokenManager. Used by the runtime's unit tests, which inject a
// transport, a sleep, a random source and a clock instead of sending anything.

const path = require('node:path');

const RUNTIME = path.resolve(__dirname, '..', '..', '..', 'templates', 'javascript', 'runtime');
const errors = require(path.join(RUNTIME, 'errors.js'));
const { Model } = require(path.join(RUNTIME, 'model.js'));
const { BaseApiClient } = require(path.join(RUNTIME, 'api_client.js'));
const { BaseTokenManager } = require(path.join(RUNTIME, 'token_manager.js'));

class TokenRequest extends Model {}
TokenRequest.attributes = Object.freeze([
  Object.freeze({ name: 'client_id', type: 'String', required: true }),
  Object.freeze({ name: 'client_secret', type: 'String', required: true, secret: true }),
  Object.freeze({ name: 'grant_type', type: 'String', required: true, enum: ['authorization_code', 'refresh_token', 'client_credentials'] }),
  Object.freeze({ name: 'code', type: 'String', secret: true }),
  Object.freeze({ name: 'refresh_token', type: 'String', secret: true }),
  Object.freeze({ name: 'scope', type: 'String', maxLength: 20 }),
]);

class Limits extends Model {}
Limits.attributes = Object.freeze([
  Object.freeze({ name: 'per_minute', type: 'Integer', required: true }),
]);

class TokenAnswer extends Model {}
TokenAnswer.attributes = Object.freeze([
  Object.freeze({ name: 'access_token', type: 'String' }),
  Object.freeze({ name: 'token_type', type: 'String', required: true }),
  Object.freeze({ name: 'refresh_token', type: 'String' }),
  Object.freeze({ name: 'expires_in', type: 'Integer' }),
  Object.freeze({ name: 'ratio', type: 'Number' }),
  Object.freeze({ name: 'active', type: 'Boolean' }),
  Object.freeze({ name: 'issued', type: 'Date' }),
  Object.freeze({ name: 'scopes', type: ['String'] }),
  Object.freeze({ name: 'limits', type: Limits }),
]);

class OAuthError extends Model {}
OAuthError.attributes = Object.freeze([
  Object.freeze({ name: 'error', type: 'String' }),
  Object.freeze({ name: 'error_description', type: 'String' }),
]);

/** createToken: a token operation whose body model is sent as a form, with an optional header. */
const TOKEN_OPERATION = Object.freeze({
  operationId: 'createToken',
  method: 'POST',
  path: '/oauth/token',
  contentType: 'application/x-www-form-urlencoded',
  accept: 'application/json',
  params: [
    { name: 'tokenRequest', baseName: 'tokenRequest', in: 'body', type: TokenRequest, required: true },
    { name: 'requestId', baseName: 'x-request-id', in: 'header', type: 'String', minLength: 4, maxLength: 36, pattern: '/^[A-Za-z0-9-]+$/' },
  ],
  returnType: TokenAnswer,
  tokenGrants: Object.freeze(['client_credentials', 'refresh_token', 'authorization_code']),
  singleUse: Object.freeze({ grant_type: Object.freeze(['authorization_code', 'refresh_token']) }),
  responses: { 200: TokenAnswer, 400: OAuthError, 401: OAuthError },
});

/** getThing: every other parameter location, and a JSON body; not a token operation. */
const THING_OPERATION = Object.freeze({
  operationId: 'getThing',
  method: 'PUT',
  path: '/things/{thing-id}',
  contentType: 'application/json',
  accept: 'application/json',
  params: [
    { name: 'thingId', baseName: 'thing-id', in: 'path', type: 'String', required: true },
    { name: 'tags', baseName: 'tag', in: 'query', type: ['String'] },
    { name: 'limit', baseName: 'limit', in: 'query', type: 'Integer', minimum: 1, maximum: 100 },
    { name: 'session', baseName: 'session', in: 'cookie', type: 'String' },
    { name: 'apiKey', baseName: 'X-Api-Key', in: 'header', type: 'String', secret: true },
    { name: 'body', baseName: 'body', in: 'body', type: TokenRequest },
  ],
  returnType: null,
  tokenGrants: null,
  responses: { 204: null },
});

/** getSecured: a GET with a query and a cookie parameter, secured by four alternatives. */
const SECURED_OPERATION = Object.freeze({
  operationId: 'getSecured',
  method: 'GET',
  path: '/secured',
  contentType: null,
  accept: 'application/json',
  authNames: ['apiKeyHeader', 'oauth', 'basicAuth', 'apiKeyQuery', 'apiKeyCookie'],
  params: [
    { name: 'fields', baseName: 'fields', in: 'query', type: 'String' },
    { name: 'theme', baseName: 'theme', in: 'cookie', type: 'String' },
  ],
  returnType: null,
  tokenGrants: null,
  responses: { 204: null, 400: OAuthError, 401: OAuthError },
});

class ApiClient extends BaseApiClient {}
ApiClient.settings = Object.freeze({
  hostVariable: 'RUNTIME_TEST_HOST',
  userAgent: 'runtime-test/1.0 (Node.js)',
  servers: Object.freeze([
    Object.freeze({ url: 'https://api.example.com', name: 'production' }),
    Object.freeze({ url: 'https://sandbox.example.com/v1', name: 'test' }),
  ]),
  securitySchemes: Object.freeze([
    Object.freeze({ name: 'apiKeyHeader', kind: 'apiKey', where: 'header', param: 'X-API-Key' }),
    Object.freeze({ name: 'apiKeyQuery', kind: 'apiKey', where: 'query', param: 'api_key' }),
    Object.freeze({ name: 'apiKeyCookie', kind: 'apiKey', where: 'cookie', param: 'session_key' }),
    Object.freeze({ name: 'oauth', kind: 'bearer', where: 'header', param: 'Authorization' }),
    Object.freeze({ name: 'basicAuth', kind: 'basic', where: 'header', param: 'Authorization' }),
  ]),
});

class TokenManager extends BaseTokenManager {}
TokenManager.operation = TOKEN_OPERATION;
TokenManager.ApiClient = ApiClient;

const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json' });

/**
 * A transport that records every request and answers from `script`: a function of the
 * attempt (0, 1, ...) and the request, returning {status, headers, body} (body a string
 * or an object sent as JSON) or an Error to fail with. Answers synchronously, as fast as
 * a transport can.
 */
function scriptedTransport(script) {
  const requests = [];
  const transport = (request, callback) => {
    const attempt = requests.length;
    requests.push(request);
    const answer = script(attempt, request);
    if (answer instanceof Error) {
      callback(answer);
      return;
    }
    const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    callback(null, {
      status: answer.status,
      statusText: answer.statusText || '',
      headers: { ...JSON_HEADERS, ...answer.headers },
      body: answer.body === undefined ? Buffer.alloc(0) : Buffer.from(body, 'utf8'),
      tooLarge: answer.tooLarge,
    });
  };
  transport.requests = requests;
  return transport;
}

/**
 * An ApiClient on a scripted transport whose waits are recorded, not slept; random()
 * gives `jitter` (default 0.5).
 */
function scriptedClient(script, options = {}) {
  const transport = scriptedTransport(script);
  const waits = [];
  const client = new ApiClient({
    basePath: 'https://api.example.com',
    transport,
    sleep: async (seconds) => {
      waits.push(seconds);
    },
    random: () => (options.jitter === undefined ? 0.5 : options.jitter),
    now: () => Date.parse('2025-01-01T00:00:00Z'),
    ...options.client,
  });
  return { client, transport, requests: transport.requests, waits };
}

/** Calls the token operation through callApi; resolves {error, data, response}. */
function callToken(client, fields, extra = {}) {
  return new Promise((resolve) => {
    client.callApi(TOKEN_OPERATION, { tokenRequest: fields, ...extra }, (error, data, response) => {
      resolve({ error, data, response });
    });
  });
}

const TOKEN = Object.freeze({
  access_token: 'access-0123456789', token_type: 'Bearer', refresh_token: 'refresh-1', expires_in: 900,
});

module.exports = {
  ApiClient,
  JSON_HEADERS,
  Limits,
  Model,
  OAuthError,
  RUNTIME,
  SECURED_OPERATION,
  THING_OPERATION,
  TOKEN,
  TOKEN_OPERATION,
  TokenAnswer,
  TokenManager,
  TokenRequest,
  callToken,
  errors,
  scriptedClient,
  scriptedTransport,
};
