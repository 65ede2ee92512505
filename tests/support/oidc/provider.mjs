// A real OpenID Connect provider for the SSO tests: oidc-provider on 127.0.0.1 with one
// confidential client and the accounts of a JSON settings file; people sign in through
// oidc-provider's development login form, where the login typed is the account's `sub`.
//
//   node provider.mjs SETTINGS.json
//   settings: {"port": N, "client": {client_id, client_secret, redirect_uris, post_logout_redirect_uris},
//              "accounts": {"<sub>": {"preferred_username": ..., "name": ...}}}
// Prints "oidc-provider ready at <issuer>" once it listens.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${settings.port}`;

const provider = new Provider(issuer, {
  clients: [{
    ...settings.client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  // Only the accounts listed exist: a login the settings do not name gets no tokens.
  async findAccount(ctx, sub) {
    const claims = settings.accounts[sub];
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { sub, ...claims }; } };
  },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['test-only-cookie-key'] },
});

const server = provider.listen(settings.port, '127.0.0.1', () => {
  console.log(`oidc-provider ready at ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
