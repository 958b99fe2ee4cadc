// A user's TypeScript script against the CyberSource package: it must compile under
// `tsc --strict --noEmit` (tests/node/types.test.js). It is compiled, not run.
import CyberSource = require('CyberSource');
import { createClient } from 'redis';

/** The methods of an ioredis client RedisTokenStore calls, as ioredis declares them. */
declare const ioredis: {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>;
  set(key: string, value: string): Promise<'OK'>;
  eval(script: string, numberOfKeys: number, ...args: string[]): Promise<unknown>;
};

// The documented example, typed.
const apiInstance = new CyberSource.OAuthApi();
const createAccessTokenRequest = new CyberSource.CreateAccessTokenRequest();
createAccessTokenRequest.client_id = 'client_id_example';
createAccessTokenRequest.client_secret = 'client_secret_example';
createAccessTokenRequest.grant_type = 'authorization_code';
createAccessTokenRequest.code = 'code_example';
const opts = { vCClientCorrelationId: '3a1c1b5e-7d2f-4c3b-9a4e-2f6d8e0b1c7a' };
const callback: CyberSource.Callback<CyberSource.AccessTokenResponse> = (error, data, response) => {
  if (error) {
    console.error(error.status, error.error, error.error_description, error.retryAfter);
  } else if (data) {
    const seconds: number | undefined = data.expires_in;
    console.log(data.access_token, seconds, response?.status, response?.headers['v-c-client-correlation-id']);
  }
};
apiInstance.createAccessToken(createAccessTokenRequest, opts, callback);
apiInstance.createAccessToken(createAccessTokenRequest, (error, data) => console.log(error?.message, data?.token_type));

// A client of its own: a named server, mutual TLS, timeouts, retries.
const client = new CyberSource.ApiClient({
  server: 'test',
  certFile: '/path/to/client.crt',
  keyFile: '/path/to/client.key',
  timeout: { connect: 5000, read: 20000 },
  retries: 1,
});
client.useServer('production').useServer(1);
CyberSource.ApiClient.instance.basePath = 'https://api-ma.Cybersource.com';
const urls: string[] = CyberSource.ApiClient.servers.map((server) => server.url);
const api = new CyberSource.OAuthApi(new CyberSource.ApiClient('https://api-matest.cybersource.com'));

// The Promise forms, plain objects as the request, and the error classes.
async function refresh(refreshToken: string): Promise<string | undefined> {
  const request: CyberSource.CreateAccessTokenRequestFields = {
    client_id: 'partner', client_secret: 'secret', grant_type: 'refresh_token', refresh_token: refreshToken,
  };
  try {
    const token = await api.createAccessToken(request, { vCClientCorrelationId: opts.vCClientCorrelationId });
    const { data, response } = await api.createAccessTokenWithHttpInfo(new CyberSource.CreateAccessTokenRequest(request));
    console.log(response.status, response.text.length, data.refresh_token, String(data), JSON.stringify(data));
    return token.access_token;
  } catch (error) {
    if (error instanceof CyberSource.TooManyRequestsException) {
      const wait: number | null = error.retryAfter;
      console.log('rate limited', wait);
    } else if (error instanceof CyberSource.ApiConnectionError) {
      const connected: boolean = error.connected;
      console.log(error.code, connected);
    } else if (error instanceof CyberSource.ApiError) {
      console.log(error.status, error.body, error.headers);
    } else if (error instanceof CyberSource.ApiValueError || error instanceof CyberSource.ApiTypeError) {
      console.log(error.message);
    }
    return undefined;
  }
}

// Keeping a token.
const manager = new CyberSource.TokenManager({
  clientId: 'partner',
  clientSecret: 'secret',
  refreshToken: 'stored',
  apiClient: client,
  leeway: 30,
  onToken: async (token: CyberSource.AccessTokenResponse) => console.log(token.refresh_token),
});
const positional = new CyberSource.TokenManager('partner', 'secret', { refreshToken: 'stored' });

// Proxies: one of its own, or the environment's; credentials for the schemes of a spec
// (CyberSource's token endpoint has none, so no API key names fit apiKey).
const proxied = new CyberSource.ApiClient({
  proxy: 'http://user:password@proxy.example.com:3128',
  proxyHeaders: { 'X-Proxy-Team': 'payments' },
  trustEnv: false,
  apiKey: {},
  accessToken: 'eyJ...',
  username: 'ann',
  password: 'secret',
  tokenManager: manager,
});
proxied.proxy = undefined;
proxied.trustEnv = true;
const source: CyberSource.TokenSource = positional;
async function withToken(): Promise<void> {
  const accessToken: string = await manager.getToken();
  manager.invalidate(accessToken);
  const first: CyberSource.AccessTokenResponse = await manager.exchangeCode('code');
  console.log(first.expires_in, manager.token?.access_token);
}

const grant: 'authorization_code' | 'refresh_token' = CyberSource.CreateAccessTokenRequest.GrantTypeEnum.refresh_token;
console.log(urls, refresh, withToken, grant, positional.leeway, source, proxied.proxyHeaders);

// Sharing a token: each store, with each Redis client.
const stores: CyberSource.TokenStore[] = [
  new CyberSource.MemoryTokenStore(),
  new CyberSource.FileTokenStore(),
  new CyberSource.FileTokenStore('/var/cache/payments/tokens'),
  new CyberSource.RedisTokenStore(createClient({ url: 'redis://localhost:6379' }), { prefix: 'payments:' }),
  new CyberSource.RedisTokenStore(ioredis, { timeout: 2000 }),
];
const shared = new CyberSource.TokenManager({
  clientId: 'partner',
  clientSecret: 'secret',
  refreshToken: 'stored',
  store: stores[2],
  storeKey: 'merchant-42',
  lease: 10,
  onStoreError: 'raise',
});
async function sharing(): Promise<void> {
  const accessToken: string = await shared.getToken();
  await shared.invalidate(accessToken);
  const rotated: string | null = shared.refreshToken;
  const store: CyberSource.TokenStore | null = shared.store;
  try {
    await shared.getToken();
  } catch (error) {
    if (error instanceof CyberSource.TokenStoreError) {
      const failed: CyberSource.ApiError = error;
      console.log(failed.message);
    }
  }
  console.log(rotated, store, await stores[0].read('key'));
}
console.log(sharing);
