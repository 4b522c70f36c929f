// An OpenID Connect provider for the tests only: panva's oidc-provider with a config the test
// writes. Started by tests/oidc_provider.py as `node provider.mjs CONFIG.json`; prints one line
// "ready <issuer>" when it listens. Not for production: the keys are made at start, nothing is
// kept, and whoever opens the login page picks which test person they are.
//
// CONFIG: {"port": 0, "issuer": "http://127.0.0.1:PORT",
//          "clients": [{"client_id", "client_secret", "redirect_uris": [...]}],
//          "users": {"<account id>": {"label": "...", "acr": "...", "amr": ["pwd"],
//                                     "claims": {"name": "...", "email": "...", ...}}}}
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";

import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const users = config.users || {};

// A new signing key each start: a second provider started the same way signs with another key.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-key", use: "sig", alg: "RS256" };

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    response_types: ["code"],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "client_secret_post",
    ...client,
  })),
  jwks: { keys: [jwk] },
  cookies: { keys: ["test-only-cookie-key"] },
  // PKCE (S256) is required for every client.
  pkce: { required: () => true },
  scopes: ["openid", "profile", "email", "groups", "offline_access"],
  claims: {
    // How the person logged in is part of every id_token, as the e-ID brokers do.
    openid: ["sub", "acr", "amr", "auth_time"],
    profile: ["name", "given_name", "family_name"],
    email: ["email", "email_verified"],
    groups: ["groups"],
    personal_number: ["personal_number"],
  },
  acrValues: [...new Set(Object.values(users).map((user) => user.acr).filter(Boolean))],
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!users[id]) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...users[id].claims };
      },
    };
  },
  // The test clients are first-party: consent is given with the login.
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope || "openid");
    await grant.save();
    return grant;
  },
});

async function readForm(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const loginPage = (uid) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test provider: log in</title></head>
<body><main><h1>Test provider</h1>
<form method="post" action="/interaction/${uid}">
${Object.entries(users)
  .map(
    ([id, user]) =>
      `<p><button type="submit" name="account" value="${escape(id)}">Log in as ${escape(
        user.label || id,
      )}</button></p>`,
  )
  .join("\n")}
<p><button type="submit" name="refuse" value="1">Refuse</button></p>
</form></main></body></html>`;

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === "GET") {
    ctx.type = "html";
    ctx.body = loginPage(details.uid);
    return undefined;
  }
  const form = await readForm(ctx.req);
  let result;
  if (form.get("refuse") || !users[form.get("account")]) {
    result = { error: "access_denied", error_description: "The person refused." };
  } else {
    const user = users[form.get("account")];
    result = { login: { accountId: form.get("account"), acr: user.acr, amr: user.amr } };
  }
  const url = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: false,
  });
  ctx.status = 303;
  ctx.redirect(url);
  return undefined;
});

const server = provider.listen(config.port, "127.0.0.1", () => {
  process.stdout.write(`ready ${config.issuer}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
