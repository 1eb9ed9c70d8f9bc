// The whole Authorization Code flow against okta-devserver over TLS, driven by widely used
// Node.js libraries nobody in this project wrote: openid-client (an OpenID-certified relying
// party), jose (JWT and JWKS verification), Okta's own @okta/jwt-verifier (which refuses an
// http issuer) and Okta's JavaScript SDK @okta/okta-auth-js (introspection and revocation with
// its own Basic headers). Run by `cargo xtask third-party`, which starts the devserver and passes:
//
//   DEVSERVER_ISSUER, DEVSERVER_CLIENT_ID, DEVSERVER_CLIENT_SECRET, DEVSERVER_REDIRECT_URI,
//   DEVSERVER_POST_LOGOUT_REDIRECT_URI, DEVSERVER_USERNAME, DEVSERVER_PASSWORD,
//   DEVSERVER_AUDIENCE, DEVSERVER_PUBLIC_CLIENT_ID, and NODE_EXTRA_CA_CERTS (the devserver's
//   local CA).
//
// Prints one line per step; on failure "FAILED step <name>: <reason>" and exit code 1.

import * as client from 'openid-client';
import * as jose from 'jose';
import OktaJwtVerifier from '@okta/jwt-verifier';
import { OktaAuth } from '@okta/okta-auth-js';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const settings = {
  issuer: env('DEVSERVER_ISSUER'),
  clientId: env('DEVSERVER_CLIENT_ID'),
  clientSecret: env('DEVSERVER_CLIENT_SECRET'),
  redirectUri: env('DEVSERVER_REDIRECT_URI'),
  postLogoutRedirectUri: env('DEVSERVER_POST_LOGOUT_REDIRECT_URI'),
  username: env('DEVSERVER_USERNAME'),
  password: env('DEVSERVER_PASSWORD'),
  audience: env('DEVSERVER_AUDIENCE'),
  publicClientId: env('DEVSERVER_PUBLIC_CLIENT_ID'),
};

let current = 'start';
const step = async (name, run) => {
  current = name;
  const started = performance.now();
  const result = await run();
  console.log(`step ${name}: ok (${Math.round(performance.now() - started)} ms)`);
  return result;
};

const expect = (condition, message) => {
  if (!condition) throw new Error(message);
};

async function main() {
  const issuer = new URL(settings.issuer);
  expect(issuer.protocol === 'https:', `the issuer must be https: ${settings.issuer}`);

  // 1. Discovery, with the client authenticating as registered (client_secret_basic).
  const config = await step('discovery', async () => {
    const config = await client.discovery(
      issuer,
      settings.clientId,
      undefined,
      client.ClientSecretBasic(settings.clientSecret),
    );
    const metadata = config.serverMetadata();
    expect(metadata.issuer === settings.issuer, `issuer ${metadata.issuer}`);
    expect(metadata.code_challenge_methods_supported?.includes('S256'), 'no S256');
    return config;
  });
  const metadata = config.serverMetadata();
  const jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri));

  // 2. Sign-in, headless: the Authentication API gives a sessionToken for /authorize.
  const sessionToken = await step('sign-in (/api/v1/authn)', async () => {
    const response = await fetch(new URL('/api/v1/authn', issuer.origin), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username: settings.username, password: settings.password }),
    });
    const body = await response.json();
    expect(response.status === 200 && body.status === 'SUCCESS', `authn: ${response.status} ${body.status}`);
    return body.sessionToken;
  });

  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const callback = await step('authorize', async () => {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: settings.redirectUri,
      scope: 'openid profile email offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      sessionToken,
    });
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status === 302, `authorize answered ${response.status}`);
    const location = response.headers.get('location');
    expect(location?.startsWith(settings.redirectUri), `redirected to ${location}`);
    return new URL(location);
  });

  // 3. Code exchange; openid-client checks the ID token's iss, aud, exp, iat and nonce.
  const tokens = await step('code exchange and ID token checks', async () => {
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    expect(tokens.token_type.toLowerCase() === 'bearer', `token_type ${tokens.token_type}`);
    expect(tokens.refresh_token, 'no refresh token for offline_access');
    // openid-client relies on TLS for the code flow's ID token; check its signature too.
    const { payload } = await jose.jwtVerify(tokens.id_token, jwks, {
      issuer: settings.issuer,
      audience: settings.clientId,
      algorithms: ['RS256'],
    });
    const claims = tokens.claims();
    expect(payload.sub === claims.sub && claims.nonce === nonce, 'sub/nonce');
    // Okta's code-flow ID tokens are thin: name, preferred_username, email, no more.
    expect(claims.preferred_username === settings.username, `preferred_username ${claims.preferred_username}`);
    expect(claims.email && claims.name, 'name and email in the ID token');
    expect(claims.given_name === undefined, 'given_name comes from userinfo only');
    return tokens;
  });
  const subject = tokens.claims().sub;

  await step('userinfo', async () => {
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, subject);
    expect(userinfo.sub === subject, `sub ${userinfo.sub}`);
    expect(userinfo.preferred_username === settings.username, 'preferred_username');
    expect(userinfo.given_name && userinfo.email_verified !== undefined, 'profile and email claims');
  });

  await step('access-token verification (jose)', async () => {
    const { payload } = await jose.jwtVerify(tokens.access_token, jwks, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: ['RS256'],
    });
    expect(payload.cid === settings.clientId && Array.isArray(payload.scp), 'cid and scp');
  });

  await step('access-token verification (@okta/jwt-verifier)', async () => {
    const verifier = new OktaJwtVerifier({ issuer: settings.issuer });
    const jwt = await verifier.verifyAccessToken(tokens.access_token, settings.audience);
    expect(jwt.claims.sub === settings.username, `sub ${jwt.claims.sub}`);
    let refused = false;
    try {
      await verifier.verifyAccessToken(tokens.access_token, 'api://another-audience');
    } catch {
      refused = true;
    }
    expect(refused, 'a wrong audience must be refused');
  });

  const refreshed = await step('refresh', async () => {
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    expect(refreshed.access_token && refreshed.access_token !== tokens.access_token, 'a new access token');
    return refreshed;
  });

  await step('introspect', async () => {
    const active = await client.tokenIntrospection(config, refreshed.access_token);
    expect(active.active === true && active.client_id === settings.clientId, JSON.stringify(active));
    const unknown = await client.tokenIntrospection(config, 'not-a-token');
    expect(unknown.active === false, JSON.stringify(unknown));
  });

  await step('introspect and revoke (@okta/okta-auth-js)', async () => {
    // Okta's SDK sends `Basic base64(clientId)` for a public client and
    // `Basic base64(clientId:clientSecret)`, not form-encoded, for a confidential one.
    const sdk = (clientId, clientSecret) =>
      new OktaAuth({
        issuer: settings.issuer,
        clientId,
        clientSecret,
        redirectUri: settings.redirectUri,
        tokenManager: { storage: 'memory' },
      });
    const token = { accessToken: refreshed.access_token, claims: { iss: settings.issuer } };
    const spa = sdk(settings.publicClientId);
    const asPublic = await spa.token.introspect('accessToken', token);
    expect(asPublic.active === true, `public client: ${JSON.stringify(asPublic)}`);
    const web = sdk(settings.clientId, settings.clientSecret);
    const asWeb = await web.token.introspect('accessToken', token);
    expect(asWeb.active === true, `raw secret: ${JSON.stringify(asWeb)}`);
    await spa.revokeAccessToken({ accessToken: 'never-issued' });
    await web.revokeAccessToken({ accessToken: 'never-issued' });
  });

  await step('revoke', async () => {
    const refreshToken = refreshed.refresh_token ?? tokens.refresh_token;
    await client.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
    const after = await client.tokenIntrospection(config, refreshToken, { token_type_hint: 'refresh_token' });
    expect(after.active === false, `still active after revocation: ${JSON.stringify(after)}`);
  });

  await step('logout', async () => {
    const logoutState = client.randomState();
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: settings.postLogoutRedirectUri,
      state: logoutState,
    });
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status === 302, `logout answered ${response.status}`);
    const location = new URL(response.headers.get('location'));
    expect(location.searchParams.get('state') === logoutState, `redirected to ${location}`);
  });
}

main().then(
  () => console.log('node: every step passed'),
  (error) => {
    console.log(`FAILED step ${current}: ${error?.stack ?? error}`);
    process.exitCode = 1;
  },
);
