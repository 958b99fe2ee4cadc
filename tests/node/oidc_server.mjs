// A real, certified OAuth 2.0 server for tests/test_real_oauth_server.py: oidc-provider
// (npm, a devDependency) with the client_credentials grant, its token endpoint at the path
// given. Prints {"port": n} once it listens; runs until killed.
//
//   node tests/node/oidc_server.mjs <token path> <client id> <client secret>

import Provider from 'oidc-provider';

const [path, clientId, clientSecret] = process.argv.slice(2);
// oidc-provider warns (on stderr) about its in-memory adapter, keys and Node's version.
const provider = new Provider('http://127.0.0.1', {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
  routes: { token: path },
});
const server = provider.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
