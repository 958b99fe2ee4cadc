// Misuses the types must refuse: `tsc --strict --noEmit` fails on exactly the lines marked
// "error:" (tests/node/types.test.js).
import CyberSource = require('CyberSource');

const api = new CyberSource.OAuthApi();
const request = new CyberSource.CreateAccessTokenRequest();
request.refreshTokn = 'stored'; // error: a misspelt field
request.client_id = 42; // error: a number for a string
request.grant_type = 'password'; // error: not one of the grants
const fields: CyberSource.CreateAccessTokenRequestFields = {
  client_id: 'partner',
  client_secret: 'secret',
  grant_type: 'refresh_token',
  refreshTokn: 'stored', // error: a misspelt field in a literal
};
new CyberSource.CreateAccessTokenRequest({ client_id: 'partner' }); // error: required fields missing
api.createAccessToken(fields, { vCClientCorelationId: 'x' }); // error: a misspelt option
api.createAccessToken(fields, { vCClientCorrelationId: 7 }); // error: a number for a string
api.createAccessToken('a request'); // error: not a request
api.createAccessToken(fields).then((data) => data.acess_token); // error: a misspelt answer field
api.createAccessToken(fields, null, (error, data) => error.status + (data === null ? 0 : 1)); // error: error may be null
new CyberSource.ApiClient({ server: 'staging' }); // error: no such server
new CyberSource.ApiClient({ timeout: '30s' }); // error: timeout is milliseconds
new CyberSource.ApiClient({ proxies: 'http://proxy:3128' }); // error: no such option
new CyberSource.ApiClient({ proxy: 3128 }); // error: a proxy is a URL
new CyberSource.ApiClient({ trustEnv: 'no' }); // error: trustEnv is a boolean
new CyberSource.ApiClient({ apiKey: { apiKeyHeader: 'k' } }); // error: the spec has no API key scheme
new CyberSource.ApiClient({ tokenManager: { getToken: () => 'token' } }); // error: not a token source
new CyberSource.TokenManager({ clientId: 'partner' }); // error: clientSecret missing
new CyberSource.TokenManager({ clientId: 'partner', clientSecret: 's', onStoreError: 'ignore' }); // error: warn or raise
new CyberSource.TokenManager({ clientId: 'partner', clientSecret: 's', store: '/tmp/tokens' }); // error: a store, not a path
new CyberSource.RedisTokenStore({ url: 'redis://localhost' }); // error: a client, not its options
new CyberSource.FileTokenStore(0o700); // error: a folder is a path
