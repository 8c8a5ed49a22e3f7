import { describe, expect, test } from "vitest";
import { parseEnv } from "./env.server";

const KEY = Buffer.alloc(32, 9).toString("base64url");

function problems(source: Record<string, string | undefined>): string[] {
  const result = parseEnv(source);
  return result.ok ? [] : result.problems;
}

describe("environment validation", () => {
  test("an empty environment is a valid dev configuration with defaults", () => {
    const result = parseEnv({});
    expect(result).toEqual({
      ok: true,
      env: {
        NODE_ENV: "development",
        PORT: 3000,
        HOST: undefined,
        APP_URL: "http://localhost:3000",
        DATABASE_URL: undefined,
        LATCHKEY_DATA_DIR: undefined,
        oauth: {},
        componentGallery: true,
      },
    });
  });

  test("the component gallery is off in production unless LATCHKEY_COMPONENT_GALLERY=1", () => {
    const production = { NODE_ENV: "production", APP_URL: "https://auth.example.com", SMTP_URL: "smtp://mail:25", LATCHKEY_ENCRYPTION_KEY: KEY };
    const off = parseEnv(production);
    const on = parseEnv({ ...production, LATCHKEY_COMPONENT_GALLERY: "1" });
    expect(off.ok && off.env.componentGallery).toBe(false);
    expect(on.ok && on.env.componentGallery).toBe(true);
    expect(problems({ LATCHKEY_COMPONENT_GALLERY: "yes" })[0]).toMatch(/^LATCHKEY_COMPONENT_GALLERY must be 0 or 1/);
  });

  test("APP_URL defaults to localhost on the chosen port outside production", () => {
    const result = parseEnv({ PORT: "4000" });
    expect(result.ok && result.env.APP_URL).toBe("http://localhost:4000");
  });

  test("production without APP_URL is refused, naming APP_URL", () => {
    const found = problems({ NODE_ENV: "production", SMTP_URL: "smtp://mail:25", LATCHKEY_ENCRYPTION_KEY: KEY });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^APP_URL /);
    expect(found[0]).toContain("required in production");
  });

  test("an empty APP_URL counts as missing", () => {
    expect(problems({ NODE_ENV: "production", APP_URL: "  " })[0]).toMatch(/^APP_URL /);
  });

  test("production with an https APP_URL is accepted and loses its trailing slash", () => {
    const result = parseEnv({ NODE_ENV: "production", APP_URL: "https://auth.example.com/", SMTP_URL: "smtps://u:p@mail:465", LATCHKEY_ENCRYPTION_KEY: KEY });
    expect(result.ok && result.env.APP_URL).toBe("https://auth.example.com");
  });

  test("a PORT that is not a number is refused, naming PORT", () => {
    const found = problems({ PORT: "abc" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^PORT must be a whole number between 1 and 65535/);
  });

  test("a PORT out of range is refused, naming PORT", () => {
    for (const port of ["0", "65536", "-1", "3000.5"]) {
      expect(problems({ PORT: port })[0], port).toMatch(/^PORT /);
    }
  });

  test("a malformed APP_URL or DATABASE_URL is refused, naming it", () => {
    expect(problems({ APP_URL: "localhost:3000" })[0]).toMatch(/^APP_URL must be an absolute http/);
    expect(problems({ DATABASE_URL: "mysql://db/app" })[0]).toMatch(/^DATABASE_URL must be a postgres/);
  });

  test("postgres:// and postgresql:// URLs are both accepted", () => {
    expect(parseEnv({ DATABASE_URL: "postgres://u:p@127.0.0.1:5432/app" }).ok).toBe(true);
    expect(parseEnv({ DATABASE_URL: "postgresql://127.0.0.1/app" }).ok).toBe(true);
  });

  test("every bad variable is reported at once, one line each", () => {
    const found = problems({ NODE_ENV: "production", PORT: "x", DATABASE_URL: "nope" });
    expect(found.map((line) => line.split(" ")[0]).sort()).toEqual(["APP_URL", "DATABASE_URL", "LATCHKEY_ENCRYPTION_KEY", "PORT", "SMTP_URL"]);
  });

  test("an unknown NODE_ENV is refused, naming NODE_ENV", () => {
    expect(problems({ NODE_ENV: "staging" })[0]).toMatch(/^NODE_ENV /);
  });

  test("production without SMTP_URL is refused, naming SMTP_URL, and a bad one never echoes its password", () => {
    expect(problems({ NODE_ENV: "production", APP_URL: "https://a.example", LATCHKEY_ENCRYPTION_KEY: KEY })).toEqual([expect.stringMatching(/^SMTP_URL .*required in production/)]);
    const bad = problems({ SMTP_URL: "http://user:hunter2@mail" });
    expect(bad[0]).toMatch(/^SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
    expect(bad.join("\n")).not.toContain("hunter2");
  });

  test("problem lines never echo a database password", () => {
    const found = problems({ DATABASE_URL: "mysql://user:secret@db/app" });
    expect(found[0]).toMatch(/^DATABASE_URL /);
    expect(found.join("\n")).not.toContain("secret");
  });

  test("production without LATCHKEY_ENCRYPTION_KEY is refused; a malformed key is refused without being echoed", () => {
    expect(problems({ NODE_ENV: "production", APP_URL: "https://a.example", SMTP_URL: "smtp://m:25" })).toEqual([
      expect.stringMatching(/^LATCHKEY_ENCRYPTION_KEY is required in production/),
    ]);
    const bad = problems({ LATCHKEY_ENCRYPTION_KEY: "tooshort-secret" });
    expect(bad[0]).toMatch(/^LATCHKEY_ENCRYPTION_KEY must be one or more comma-separated 32-byte keys/);
    expect(bad.join("\n")).not.toContain("tooshort-secret");
    expect(parseEnv({ LATCHKEY_ENCRYPTION_KEY: `${KEY},${Buffer.alloc(32, 1).toString("hex")}` }).ok).toBe(true);
  });

  // factors: SMS through a Twilio-style API
  test("SMS_API_URL needs the account SID, token and sender, and the secrets are never echoed", () => {
    const found = problems({ SMS_API_URL: "https://api.twilio.example", SMS_AUTH_TOKEN: "" });
    expect(found.sort()).toEqual([
      "SMS_ACCOUNT_SID is required when SMS_API_URL is set",
      "SMS_AUTH_TOKEN is required when SMS_API_URL is set",
      "SMS_FROM is required when SMS_API_URL is set",
    ]);
    const bad = problems({ SMS_API_URL: "ftp://x", SMS_ACCOUNT_SID: "AC1", SMS_AUTH_TOKEN: "t".repeat(300), SMS_FROM: "+15005550006" });
    expect(bad.map((line) => line.split(" ")[0]).sort()).toEqual(["SMS_API_URL", "SMS_AUTH_TOKEN"]);
    expect(bad.join("\n")).not.toContain("tttt");
    const ok = parseEnv({ SMS_API_URL: "https://api.twilio.example", SMS_ACCOUNT_SID: "AC1", SMS_AUTH_TOKEN: "tok", SMS_FROM: "+15005550006" });
    expect(ok.ok && ok.env.SMS_FROM).toBe("+15005550006");
  });

  // oauth
  test("an OAuth provider is on when all its variables are set, and its secret is never echoed", () => {
    const result = parseEnv({
      OAUTH_GITHUB_CLIENT_ID: "gh-id",
      OAUTH_GITHUB_CLIENT_SECRET: "gh-secret",
      OAUTH_OIDC_ISSUER: "http://127.0.0.1:4010/",
      OAUTH_OIDC_CLIENT_ID: "dev",
      OAUTH_OIDC_CLIENT_SECRET: "dev-secret",
    });
    expect(result.ok && result.env.oauth).toEqual({
      github: { clientId: "gh-id", clientSecret: "gh-secret" },
      oidc: { issuer: "http://127.0.0.1:4010", clientId: "dev", clientSecret: "dev-secret" },
    });
  });

  test("a partly configured provider is refused, naming what is missing without echoing the secret", () => {
    const found = problems({ OAUTH_GOOGLE_CLIENT_SECRET: "s3cr3t-value" });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("OAUTH_GOOGLE_CLIENT_ID");
    expect(found[0]).not.toContain("s3cr3t-value");
    const apple = problems({ OAUTH_APPLE_CLIENT_ID: "a", OAUTH_APPLE_TEAM_ID: "t" });
    expect(apple[0]).toContain("OAUTH_APPLE_KEY_ID, OAUTH_APPLE_PRIVATE_KEY");
  });

  test("the generic OpenID issuer must be a URL", () => {
    const found = problems({ OAUTH_OIDC_ISSUER: "not a url", OAUTH_OIDC_CLIENT_ID: "x", OAUTH_OIDC_CLIENT_SECRET: "y" });
    expect(found.some((line) => line.startsWith("OAUTH_OIDC_ISSUER"))).toBe(true);
  });

  // oauth: custom OAuth 2.0 providers
  test("reads custom OAuth 2.0 providers from OAUTH_CUSTOM_PROVIDERS, with PKCE on unless turned off", () => {
    const provider = {
      id: "acme",
      name: "Acme ID",
      authorizeUrl: "https://id.acme.example/authorize",
      tokenUrl: "https://id.acme.example/token",
      userinfoUrl: "https://id.acme.example/userinfo",
      clientId: "client",
      clientSecret: "s3cret-value",
      scopes: ["email"],
      mapping: { id: "sub", email: "email", emailVerified: "email_verified" },
    };
    const result = parseEnv({ OAUTH_CUSTOM_PROVIDERS: JSON.stringify([provider]) });
    expect(result.ok && result.env.oauth.custom).toEqual([{ ...provider, pkce: true }]);
  });

  test("refuses a custom provider with a built-in id, a plain http endpoint, a bad mapping or bad JSON, without echoing the secret", () => {
    const base = { id: "acme", name: "Acme", authorizeUrl: "https://a.example/a", tokenUrl: "https://a.example/t", userinfoUrl: "https://a.example/u", clientId: "c", clientSecret: "s3cret-value", mapping: { id: "sub", email: "email" } };
    for (const bad of [{ ...base, id: "github" }, { ...base, tokenUrl: "http://a.example/t" }, { ...base, mapping: { id: "a..b", email: "email" } }, { ...base, extra: 1 }]) {
      const result = parseEnv({ OAUTH_CUSTOM_PROVIDERS: JSON.stringify([bad]) });
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).not.toContain("s3cret-value");
    }
    expect(parseEnv({ OAUTH_CUSTOM_PROVIDERS: "[{" }).ok).toBe(false);
    expect(parseEnv({ OAUTH_CUSTOM_PROVIDERS: JSON.stringify([base, base]) }).ok).toBe(false);
  });
});
