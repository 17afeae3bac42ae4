// A real OpenID Connect provider for the hub's sign-in tests: node-oidc-provider on 127.0.0.1.
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json: {"clients": [...client metadata...], "accounts": {"<login>": {<claims>}}}.
// It listens on a free port chosen by the OS and prints one JSON line {"issuer": "http://127.0.0.1:PORT"}
// once it accepts connections. Sign-in uses the provider's own development login and consent pages
// (any password; an unknown login is refused because findAccount knows only CONFIG's accounts).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts;

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    scopes: ['openid', 'profile', 'email', 'groups'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // No signing keys given: the provider makes throwaway ones for this run.
    cookies: { keys: [`test-${process.pid}-${Date.now()}`] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      if (!Object.hasOwn(accounts, id)) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
