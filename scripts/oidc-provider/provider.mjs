// A real OpenID Connect provider for the single sign-on tests: panva's oidc-provider with its built-in sign-in pages
// (any login name signs in as that account). Accounts and their groups are read from ACCOUNTS_FILE on every sign-in,
// so a test can move someone to another group at the provider between two sign-ins.
//   node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI POST_LOGOUT_REDIRECT_URI ACCOUNTS_FILE
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, postLogoutRedirectUri, accountsFile] = process.argv.slice(2);

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutRedirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  async findAccount(ctx, id) {
    const accounts = JSON.parse(readFileSync(accountsFile, 'utf8'));
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: account.email, email_verified: true, name: account.name ?? id, groups: account.groups ?? [] };
      },
    };
  },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['test-only-cookie-key'] },
});
// Loopback over plain HTTP: the provider's cookies must not be marked Secure.
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => console.log(`listening ${provider.issuer}`));
