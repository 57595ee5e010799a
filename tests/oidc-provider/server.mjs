// An OpenID provider the lab did not write: the npm oidc-provider, on
// 127.0.0.1:<port>, with one client for the lab (lab-client / lab-secret,
// redirect URI <redirect_uri>), open dynamic registration (RFC 7591),
// revocation, introspection and client credentials. Its development
// sign-in pages take any login and password.
//   node server.mjs <port> <redirect_uri>
import Provider from 'oidc-provider';

const [port, redirectUri] = process.argv.slice(2);
if (!port || !redirectUri) {
  console.error('usage: node server.mjs <port> <redirect_uri>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'lab-client',
    client_secret: 'lab-secret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    scope: 'openid profile offline_access api:read',
  }],
  scopes: ['openid', 'profile', 'offline_access', 'api:read'],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    clientCredentials: { enabled: true },
  },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, name: `The user ${id}`, preferred_username: id }; } };
  },
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider ready at ${issuer}`));
