import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { TokenVerificationError, verifyToken, type VerifyTokenOptions } from "@latchkey/auth";
import { useTestDb } from "@latchkey/db/testing";
import { APP_URL, callerFor, countRows, createOrgWithMember, errorOf, signUp, uniqueEmail } from "../../test/helpers.ts";
import { createInnerContext } from "../context.ts";
import { ACTIVE_KEY_CACHE_MS, CLOCK_SKEW_MARGIN_SECONDS, ensureActiveKey, getJwks, resetSigningKeyCache } from "../signing-keys.ts";

const db = useTestDb();

let server: Server;
let jwksBase: string;
let fetches = 0;
/**
 * A fresh address for each verification: verifyToken caches a remote JWKS per URL (and re-fetches an unknown kid at
 * most every few seconds), which would otherwise carry keys from one test into the next.
 */
const jwksUrlFor = () => `${jwksBase}?n=${++fetches}`;
/** The JWKS as the web route serves it, built by our code from the test database. */
beforeAll(async () => {
  server = createServer((req, res) => {
    const ctx = createInnerContext({ db: db().db, appUrl: APP_URL });
    getJwks(ctx).then(
      (jwks) => {
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify(jwks));
      },
      () => {
        res.statusCode = 500;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function instanceAdmin() {
  const user = await signUp(db(), uniqueEmail("jwt-admin"), { firstName: "Root" });
  await db().query(`update users set is_instance_admin = true where id = '${user.userId}'`);
  return { ...user, caller: callerFor(db(), { token: user.token }).caller };
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TokenVerificationError);
    return (error as TokenVerificationError).reason;
  }
  throw new Error("expected the token to be refused");
}

/** The JWKS at a given moment, as a verifier that fetched it then would hold it. */
async function jwksAt(now: Date) {
  return getJwks(createInnerContext({ db: db().db, appUrl: APP_URL, now: () => now }));
}

function templateName(label: string) {
  return `${label}-${Math.random().toString(36).slice(2, 8)}`;
}

describe("the first signing key", () => {
  it("is made once, whatever the number of concurrent first requests", async () => {
    await db().query("delete from signing_keys");
    resetSigningKeyCache();
    const ctx = () => createInnerContext({ db: db().db, appUrl: APP_URL });
    const made = await Promise.all(Array.from({ length: 8 }, () => ensureActiveKey(ctx())));
    expect(new Set(made.map((k) => k.id)).size).toBe(1);
    const rows = await db().query<{ alg: string; active: number }>("select alg, count(*)::int as active from signing_keys where retired_at is null group by alg");
    expect(rows).toEqual([{ alg: "EdDSA", active: 1 }]);
    expect(await countRows(db(), "signing_keys")).toBe(1);
    // The database refuses a second active key even to code that forgets the lock.
    const error = await db()
      .query("insert into signing_keys (id, alg, public_jwk, private_key_encrypted) values ('sk_second', 'EdDSA', '{}', 'x')")
      .then(() => null, (e: unknown) => e);
    expect(error).not.toBeNull();
    const audit = await db().query<{ action: string }>("select action from audit_events where action = 'signing_key.created'");
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });

  it("is stored encrypted: the private key is not readable in the row", async () => {
    await ensureActiveKey(createInnerContext({ db: db().db, appUrl: APP_URL }));
    const [row] = await db().query<{ id: string; private_key_encrypted: string; public_jwk: Record<string, unknown> }>(
      "select id, private_key_encrypted, public_jwk from signing_keys where retired_at is null",
    );
    expect(row!.private_key_encrypted).toMatch(/^v1\./);
    expect(row!.private_key_encrypted).not.toContain('"d"');
    expect(row!.public_jwk).not.toHaveProperty("d");
  });
});

describe("token.get", () => {
  it("refuses anonymous callers", async () => {
    const error = await errorOf(callerFor(db()).caller.token.get());
    expect(error.code).toBe("UNAUTHORIZED");
  });

  it("returns a 60-second session JWT that jose verifies through the JWKS URL, with the organization in scope", async () => {
    const { admin, org } = await createOrgWithMember(db(), "Tokens");
    const { caller } = callerFor(db(), { token: admin.token, orgSlug: org.slug });
    const { jwt } = await caller.token.get();
    const header = decodeProtectedHeader(jwt);
    expect(header).toMatchObject({ alg: "EdDSA", typ: "JWT" });
    expect(header.kid).toMatch(/^key_/);

    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(jwksUrlFor())), { issuer: APP_URL, algorithms: ["EdDSA"] });
    expect(payload).toMatchObject({ sub: admin.userId, iss: APP_URL, azp: APP_URL, org_id: org.id, org_role: "org:admin" });
    expect(payload.sid).toMatch(/^sess_/);
    expect(payload.org_permissions).toEqual(expect.arrayContaining(["org:sys_profile:manage"]));
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.nbf).toBeLessThanOrEqual(payload.iat!);

    const claims = await verifyToken(jwt, { jwksUrl: jwksUrlFor(), issuer: APP_URL, authorizedParties: [APP_URL] });
    expect(claims.sub).toBe(admin.userId);
  });

  it("leaves the organization claims out when there is none, and for an organization the caller is not in", async () => {
    const loner = await signUp(db());
    const { jwt } = await callerFor(db(), { token: loner.token }).caller.token.get();
    const claims = await verifyToken(jwt, { jwksUrl: jwksUrlFor() });
    expect(claims.sub).toBe(loner.userId);
    expect(claims).not.toHaveProperty("org_id");
    expect(claims).not.toHaveProperty("org_role");
    expect(claims).not.toHaveProperty("org_permissions");

    const { org } = await createOrgWithMember(db(), "Elsewhere");
    const foreign = await callerFor(db(), { token: loner.token, orgSlug: org.slug }).caller.token.get();
    expect(await verifyToken(foreign.jwt, { jwksUrl: jwksUrlFor() })).not.toHaveProperty("org_id");
  });

  it("names a trusted Origin in azp, and never an untrusted one", async () => {
    const user = await signUp(db());
    const trusted = "https://app.example.test";
    const fromTrusted = await callerFor(db(), { token: user.token, origin: trusted, trustedOrigins: [trusted] }).caller.token.get();
    expect((await verifyToken(fromTrusted.jwt, { jwksUrl: jwksUrlFor(), authorizedParties: [trusted] })).azp).toBe(trusted);
    const fromEvil = await callerFor(db(), { token: user.token, origin: "https://evil.example.test", trustedOrigins: [trusted] }).caller.token.get();
    expect((await verifyToken(fromEvil.jwt, { jwksUrl: jwksUrlFor() })).azp).toBe(APP_URL);
    expect(await reasonOf(verifyToken(fromEvil.jwt, { jwksUrl: jwksUrlFor(), authorizedParties: [trusted] }))).toBe("token-invalid-authorized-party");
  });

  it("gives tokens that expire: refused after a minute and the clock skew", async () => {
    const user = await signUp(db());
    const { jwt } = await callerFor(db(), { token: user.token }).caller.token.get();
    const later = new Date(Date.now() + 70_000);
    expect(await reasonOf(verifyToken(jwt, { jwksUrl: jwksUrlFor(), currentDate: later }))).toBe("token-expired");
    expect(await reasonOf(verifyToken(jwt, { jwksUrl: jwksUrlFor(), issuer: "https://other.example.test" }))).toBe("token-invalid-issuer");
    expect(await reasonOf(verifyToken(jwt, { jwksUrl: jwksUrlFor(), audience: "authenticated" }))).toBe("token-invalid-audience");
  });

  it("refuses bad input with a 400 naming the field", async () => {
    const user = await signUp(db());
    const api = callerFor(db(), { token: user.token }).caller;
    for (const input of [{ template: "Not Valid!" }, { template: "x".repeat(65) }, { template: 5 }, { other: 1 }]) {
      const error = await errorOf(api.token.get(input as never));
      expect(error.code).toBe("BAD_REQUEST");
    }
    const missing = await errorOf(api.token.get({ template: "no-such-template" }));
    expect(missing.code).toBe("NOT_FOUND");
  });
});

describe("the JWKS", () => {
  it("publishes only public key members", async () => {
    const jwks = await jwksAt(new Date());
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(key.kty === "OKP" ? ["alg", "crv", "kid", "kty", "use", "x"] : ["alg", "e", "kid", "kty", "n", "use"]);
      expect(key.use).toBe("sig");
    }
    expect(JSON.stringify(jwks)).not.toMatch(/"(d|p|q|dp|dq|qi|k)"/);
  });
});

describe("signing key rotation", () => {
  it("signs with the new key at once and keeps the old one published for the longest lifetime, so old tokens still verify", async () => {
    const root = await instanceAdmin();
    const name = templateName("long");
    await root.caller.jwtTemplate.create({ name, claims: { kind: "long" }, lifetimeSeconds: 3600 });
    const user = await signUp(db());
    const api = callerFor(db(), { token: user.token }).caller;
    const before = await api.token.get();
    const longBefore = await api.token.get({ template: name });
    const oldKid = decodeProtectedHeader(before.jwt).kid;

    const startedAt = Date.now();
    const rotated = await root.caller.signingKey.rotate({ alg: "RS256" });
    expect(rotated.retired?.kid).toBe(oldKid);
    // At least the longest template lifetime plus the clock-skew margin after the rotation.
    expect(rotated.retired!.publishedUntil.getTime()).toBeGreaterThanOrEqual(startedAt + (3600 + CLOCK_SKEW_MARGIN_SECONDS) * 1000);

    const after = await api.token.get();
    expect(decodeProtectedHeader(after.jwt)).toMatchObject({ kid: rotated.kid, alg: "RS256" });
    const now = await jwksAt(new Date());
    expect(now.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, rotated.kid]));
    expect((await verifyToken(before.jwt, { key: now })).sub).toBe(user.userId);
    expect((await verifyToken(after.jwt, { key: now })).sub).toBe(user.userId);
    expect((await verifyToken(after.jwt, { jwksUrl: jwksUrlFor() })).sub).toBe(user.userId);

    // Just before the end of the window the long token still verifies with the JWKS of that moment; after it, the
    // old key is gone from the JWKS and its tokens name an unknown key.
    const nearEnd = new Date(startedAt + 3600 * 1000 - 1000);
    expect((await verifyToken(longBefore.jwt, { key: await jwksAt(nearEnd), currentDate: nearEnd })).sub).toBe(user.userId);
    const afterWindow = new Date(rotated.retired!.publishedUntil.getTime() + 1000);
    const laterJwks = await jwksAt(afterWindow);
    expect(laterJwks.keys.map((k) => k.kid)).not.toContain(oldKid);
    expect(await reasonOf(verifyToken(before.jwt, { key: laterJwks }))).toBe("jwk-kid-mismatch");

    const list = await root.caller.signingKey.list();
    expect(list.find((k) => k.kid === rotated.kid)).toMatchObject({ active: true, alg: "RS256", retiredAt: null });
    expect(list.find((k) => k.kid === oldKid)).toMatchObject({ active: false, published: true });
    expect(JSON.stringify(list)).not.toMatch(/private|"d"/);
    const [audit] = await db().query<{ actor_user_id: string; target_id: string }>(
      `select actor_user_id, target_id from audit_events where action = 'signing_key.rotated' and target_id = '${rotated.kid}'`,
    );
    expect(audit).toEqual({ actor_user_id: root.userId, target_id: rotated.kid });
  });

  it("done by another instance is picked up within the active-key cache time", async () => {
    const root = await instanceAdmin();
    const user = await signUp(db());
    let clock = Date.now();
    const here = () => callerFor(db(), { token: user.token, now: () => new Date(clock) }).caller;
    const first = decodeProtectedHeader((await here().token.get()).jwt).kid;
    // Another process: the same database through another handle, so this process's cache does not hear of it.
    const elsewhere = Object.create(db().db) as typeof db extends () => infer H ? H extends { db: infer D } ? D : never : never;
    const otherInstance = createInnerContext({ db: elsewhere, appUrl: APP_URL, sessionToken: root.token });
    const { createCaller } = await import("../root.ts");
    const rotated = await createCaller(otherInstance).signingKey.rotate();
    expect(rotated.kid).not.toBe(first);
    // Within the cache time the old (still published) key may sign; after it, the new one does.
    clock += ACTIVE_KEY_CACHE_MS + 1;
    const next = await here().token.get();
    expect(decodeProtectedHeader(next.jwt).kid).toBe(rotated.kid);
    expect((await verifyToken(next.jwt, { jwksUrl: jwksUrlFor() })).sub).toBe(user.userId);
  });

  it("is refused to anyone but an instance admin", async () => {
    const { admin, org } = await createOrgWithMember(db(), "NoRotate");
    const api = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    const keys = await countRows(db(), "signing_keys");
    expect((await errorOf(api.signingKey.rotate())).reason).toBe("INSTANCE_ADMIN_REQUIRED");
    expect((await errorOf(api.signingKey.list())).reason).toBe("INSTANCE_ADMIN_REQUIRED");
    expect((await errorOf(callerFor(db()).caller.signingKey.rotate())).code).toBe("UNAUTHORIZED");
    expect(await countRows(db(), "signing_keys")).toBe(keys);
    const bad = await errorOf((await instanceAdmin()).caller.signingKey.rotate({ alg: "HS256" as never }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(await countRows(db(), "signing_keys")).toBe(keys);
  });
});

describe("JWT templates", () => {
  it("give getToken({ template: 'supabase' }) a token with the template's claims and lifetime", async () => {
    const root = await instanceAdmin();
    const name = templateName("supabase");
    await root.caller.jwtTemplate.create({
      name,
      claims: { aud: "authenticated", role: "authenticated", email: "{{user.primary_email_address}}" },
      lifetimeSeconds: 3600,
    });
    const user = await signUp(db(), uniqueEmail("supa"));
    const { jwt } = await callerFor(db(), { token: user.token }).caller.token.get({ template: name });
    const claims = await verifyToken(jwt, { jwksUrl: jwksUrlFor(), issuer: APP_URL, audience: "authenticated" });
    expect(claims).toMatchObject({ aud: "authenticated", role: "authenticated", email: user.email, sub: user.userId, iss: APP_URL });
    expect(claims.exp - claims.iat).toBe(3600);
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(jwksUrlFor())), { audience: "authenticated" });
    expect(payload.email).toBe(user.email);
  });

  it("keep a lone placeholder's JSON type, interpolate longer strings and leave out what is missing", async () => {
    const root = await instanceAdmin();
    const name = templateName("types");
    await root.caller.jwtTemplate.create({
      name,
      claims: JSON.stringify({
        permissions: "{{org.permissions}}",
        org: { id: "{{org.id}}", role: "{{ org.role }}" },
        seats: "{{user.public_metadata.plan.seats}}",
        beta: "{{user.public_metadata.beta}}",
        public: "{{user.public_metadata}}",
        theme: "{{user.unsafe_metadata.theme}}",
        greeting: "Hello {{user.first_name}} of {{org.slug}} ({{user.public_metadata.plan.seats}})",
        absent: "{{user.public_metadata.nope}}",
        list: ["{{user.public_metadata.nope}}", "{{user.id}}", 7, true, null],
        fixed: 42,
      }),
    });
    const { admin, org } = await createOrgWithMember(db(), "Typed");
    await db().query(
      `update users set public_metadata = '{"plan":{"seats":5},"beta":true}', private_metadata = '{"stripe":"cus_SECRET123"}', unsafe_metadata = '{"theme":"dark"}' where id = '${admin.userId}'`,
    );
    const { jwt } = await callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.token.get({ template: name });
    const claims = await verifyToken(jwt, { jwksUrl: jwksUrlFor() });
    expect(claims.permissions).toEqual(expect.arrayContaining(["org:sys_profile:manage"]));
    expect(claims.org).toEqual({ id: org.id, role: "org:admin" });
    expect(claims.seats).toBe(5);
    expect(claims.beta).toBe(true);
    expect(claims.public).toEqual({ plan: { seats: 5 }, beta: true });
    expect(claims.theme).toBe("dark");
    expect(claims.greeting).toBe(`Hello Ada of ${org.slug} (5)`);
    expect(claims).not.toHaveProperty("absent");
    expect(claims.list).toEqual([null, admin.userId, 7, true, null]);
    expect(claims.fixed).toBe(42);
    expect(claims.exp - claims.iat).toBe(60);
    // Private metadata reaches no token, however the template is written.
    expect(jwt).not.toContain("cus_SECRET123");
    expect(Buffer.from(jwt.split(".")[1]!, "base64url").toString()).not.toContain("cus_SECRET123");
  });

  it("refuse reserved claims, unknown placeholders and private metadata, naming the claim, and write nothing", async () => {
    const root = await instanceAdmin();
    const before = await countRows(db(), "jwt_templates");
    for (const claim of ["sub", "iss", "exp", "iat", "nbf", "sid", "azp", "jti"]) {
      const error = await errorOf(root.caller.jwtTemplate.create({ name: templateName("reserved"), claims: { [claim]: "x" } }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.field).toBe("claims");
      expect(error.message).toContain(`"${claim}"`);
    }
    const unknown = await errorOf(root.caller.jwtTemplate.create({ name: templateName("unknown"), claims: { team: { lead: "{{user.password}}" } } }));
    expect(unknown.code).toBe("BAD_REQUEST");
    expect(unknown.message).toContain("{{user.password}}");
    expect(unknown.message).toContain('"team.lead"');
    const privateMeta = await errorOf(root.caller.jwtTemplate.create({ name: templateName("private"), claims: { billing: "{{user.private_metadata.stripe}}" } }));
    expect(privateMeta.code).toBe("BAD_REQUEST");
    expect(privateMeta.message).toContain('"billing"');
    const proto = await errorOf(root.caller.jwtTemplate.create({ name: templateName("proto"), claims: '{"x": "{{user.public_metadata.__proto__}}"}' }));
    expect(proto.code).toBe("BAD_REQUEST");
    const protoKey = await errorOf(root.caller.jwtTemplate.create({ name: templateName("proto"), claims: '{"__proto__": {"admin": true}}' }));
    expect(protoKey.code).toBe("BAD_REQUEST");
    expect(await countRows(db(), "jwt_templates")).toBe(before);
  });

  it("refuse bad names, lifetimes and claims with a 400 naming the field", async () => {
    const root = await instanceAdmin();
    const before = await countRows(db(), "jwt_templates");
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "Bad Name", claims: {} }, "name"],
      [{ name: "x".repeat(65), claims: {} }, "name"],
      [{ name: "", claims: {} }, "name"],
      [{ name: templateName("ok"), claims: {}, lifetimeSeconds: 29 }, "lifetimeSeconds"],
      [{ name: templateName("ok"), claims: {}, lifetimeSeconds: 86_401 }, "lifetimeSeconds"],
      [{ name: templateName("ok"), claims: {}, lifetimeSeconds: 1.5 }, "lifetimeSeconds"],
      [{ name: templateName("ok"), claims: "not json" }, "claims"],
      [{ name: templateName("ok"), claims: "[1, 2]" }, "claims"],
      [{ name: templateName("ok"), claims: ["a"] }, "claims"],
      [{ name: templateName("ok"), claims: { big: "x".repeat(5000) } }, "claims"],
      [{ name: templateName("ok"), claims: {}, extra: 1 }, "input"],
    ];
    for (const [input, field] of cases) {
      const error = await errorOf(root.caller.jwtTemplate.create(input as never));
      expect(error.code, JSON.stringify(input).slice(0, 80)).toBe("BAD_REQUEST");
      expect(error.message, JSON.stringify(input).slice(0, 80)).toContain(field === "input" ? "" : field);
    }
    expect(await countRows(db(), "jwt_templates")).toBe(before);
  });

  it("can be listed, read, previewed, renamed, updated and deleted by an instance admin, with audit events", async () => {
    const root = await instanceAdmin();
    const name = templateName("crud");
    await root.caller.jwtTemplate.create({ name, claims: { email: "{{user.primary_email_address}}" }, lifetimeSeconds: 120 });
    const duplicate = await errorOf(root.caller.jwtTemplate.create({ name, claims: {} }));
    expect(duplicate).toMatchObject({ code: "CONFLICT", field: "name" });
    expect((await root.caller.jwtTemplate.list()).map((t) => t.name)).toContain(name);
    expect(await root.caller.jwtTemplate.get({ name })).toMatchObject({ name, lifetimeSeconds: 120, claims: { email: "{{user.primary_email_address}}" } });
    const preview = await root.caller.jwtTemplate.preview({ name });
    expect(preview.claims).toMatchObject({ email: root.email, sub: root.userId, iss: APP_URL });
    expect(Number(preview.claims.exp) - Number(preview.claims.iat)).toBe(120);

    const renamed = `${name}-v2`;
    const updated = await root.caller.jwtTemplate.update({ name, newName: renamed, claims: '{"first": "{{user.first_name}}"}', lifetimeSeconds: 300 });
    expect(updated).toMatchObject({ name: renamed, lifetimeSeconds: 300, claims: { first: "{{user.first_name}}" } });
    expect((await errorOf(root.caller.jwtTemplate.update({ name: renamed, claims: { exp: 1 } }))).code).toBe("BAD_REQUEST");
    expect((await errorOf(root.caller.jwtTemplate.get({ name }))).code).toBe("NOT_FOUND");
    await root.caller.jwtTemplate.delete({ name: renamed });
    expect((await errorOf(root.caller.jwtTemplate.delete({ name: renamed }))).code).toBe("NOT_FOUND");
    expect((await errorOf(root.caller.jwtTemplate.preview({ name: renamed }))).code).toBe("NOT_FOUND");
    const actions = await db().query<{ action: string }>(
      `select action from audit_events where target_type = 'jwt_template' and target_id in ('${name}', '${renamed}') order by occurred_at, id`,
    );
    expect(actions.map((a) => a.action)).toEqual(["jwt_template.created", "jwt_template.updated", "jwt_template.deleted"]);
  });

  it("are refused to non-admins, org admins included", async () => {
    const root = await instanceAdmin();
    const name = templateName("guarded");
    await root.caller.jwtTemplate.create({ name, claims: {} });
    const { admin, org } = await createOrgWithMember(db(), "NoTemplates");
    const api = callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller;
    for (const call of [
      () => api.jwtTemplate.list(),
      () => api.jwtTemplate.get({ name }),
      () => api.jwtTemplate.create({ name: templateName("x"), claims: {} }),
      () => api.jwtTemplate.update({ name, lifetimeSeconds: 600 }),
      () => api.jwtTemplate.delete({ name }),
      () => api.jwtTemplate.preview({ name }),
    ]) {
      expect((await errorOf(call())).reason).toBe("INSTANCE_ADMIN_REQUIRED");
    }
    expect((await root.caller.jwtTemplate.get({ name })).lifetimeSeconds).toBe(60);
    // Any signed-in user may still get a token from it: templates shape tokens, they are not secrets.
    const { jwt } = await api.token.get({ template: name });
    expect((await verifyToken(jwt, { jwksUrl: jwksUrlFor() } satisfies VerifyTokenOptions)).sub).toBe(admin.userId);
  });
});
