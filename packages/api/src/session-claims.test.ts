import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { decodeJwt } from "jose";
import { passkeys } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, countRows, createOrgWithMember, errorOf, signUp, uniqueEmail } from "../test/helpers.ts";
import { getInstanceSettings } from "./instance-settings.ts";
import { getSessionClaims, MAX_SESSION_CLAIMS_BYTES, parseStoredSessionClaims, validateSessionClaims, type SessionClaims } from "./session-claims.ts";

const db = useTestDb();

afterEach(async () => {
  await db().query(`delete from instance_settings`);
});

async function instanceAdmin() {
  const user = await signUp(db(), uniqueEmail("claims-admin"));
  await db().query(`update users set is_instance_admin = true where id = '${user.userId}'`);
  return { ...user, caller: callerFor(db(), { token: user.token }).caller };
}

const customClaims = { "2fa_enabled": "{{user.two_factor_enabled}}", plan: "{{user.public_metadata.plan}}", tier: "gold" };

/** The claims of the caller's session token, as `getToken()` signs them. */
async function tokenClaims(token: string, orgSlug?: string) {
  const { jwt } = await callerFor(db(), { token, ...(orgSlug ? { orgSlug } : {}) }).caller.token.get();
  return decodeJwt(jwt);
}

describe("session claims", () => {
  it("are carried by every session token once an instance admin defines them, rendered for each user", async () => {
    const root = await instanceAdmin();
    await root.caller.instanceSettings.update({ sessionClaims: customClaims });
    const { admin, org } = await createOrgWithMember(db(), "Claims");
    await db().query(`update users set public_metadata = '{"plan":"pro"}' where id = '${admin.userId}'`);
    const claims = await tokenClaims(admin.token, org.slug);
    expect(claims).toMatchObject({ "2fa_enabled": false, plan: "pro", tier: "gold", sub: admin.userId, org_id: org.id, org_role: "org:admin" });
    const loner = await signUp(db());
    const lonerClaims = await tokenClaims(loner.token);
    expect(lonerClaims).toMatchObject({ "2fa_enabled": false, tier: "gold", sub: loner.userId });
    expect(lonerClaims).not.toHaveProperty("plan");
  });

  it("say 2fa_enabled is true once the user has a second factor", async () => {
    const root = await instanceAdmin();
    await root.caller.instanceSettings.update({ sessionClaims: { "2fa_enabled": "{{user.two_factor_enabled}}" } });
    const user = await signUp(db());
    await db().db.insert(passkeys).values({ userId: user.userId, credentialId: `claims-${user.userId}`, publicKey: Buffer.from([1, 2, 3]), name: "Key" });
    const { ctx } = callerFor(db(), { token: user.token });
    const auth = await ctx.getAuth();
    const claims = await getSessionClaims(ctx, auth!);
    expect(claims["2fa_enabled"]).toBe(true);
    expect(claims.sub).toBe(user.userId);
    expect((await tokenClaims(user.token))["2fa_enabled"]).toBe(true);
  });

  it("are computed once per request and hold only the registered claims while the setting is empty", async () => {
    const user = await signUp(db());
    const { ctx } = callerFor(db(), { token: user.token });
    const auth = (await ctx.getAuth())!;
    const first = getSessionClaims(ctx, auth);
    expect(getSessionClaims(ctx, auth)).toBe(first);
    expect(await first).toEqual({ sub: user.userId, sid: user.sessionId });
  });

  it("refuse every claim Latchkey sets, sub with {{user.id}} included, with a 400 naming sessionClaims, and write nothing", async () => {
    const root = await instanceAdmin();
    for (const claim of ["sub", "sid", "iss", "exp", "iat", "nbf", "azp", "jti", "act", "org_id", "org_role", "org_permissions"]) {
      const error = await errorOf(root.caller.instanceSettings.update({ sessionClaims: { [claim]: "{{user.id}}" } }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.field).toBe("sessionClaims");
      expect(error.message).toContain(`"${claim}"`);
    }
    expect(await countRows(db(), "instance_settings")).toBe(0);
  });

  it("refuse unknown placeholders, private metadata, non-objects and more than the size limit, naming sessionClaims", async () => {
    const root = await instanceAdmin();
    const bad: unknown[] = [
      { team: "{{user.password}}" },
      { billing: "{{user.private_metadata.stripe}}" },
      ["{{user.id}}"],
      "{{user.id}}",
      { big: "x".repeat(MAX_SESSION_CLAIMS_BYTES) },
      JSON.parse('{"__proto__": {"admin": true}}'),
    ];
    for (const sessionClaims of bad) {
      const error = await errorOf(root.caller.instanceSettings.update({ sessionClaims } as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.field).toBe("sessionClaims");
      expect(error.message).not.toMatch(/select|insert|at .*\.ts/i);
    }
    expect(await countRows(db(), "instance_settings")).toBe(0);
    expect((await getInstanceSettings(db().db)).sessionClaims).toEqual({});
  });

  it("can be changed by instance admins only", async () => {
    const anonymous = await errorOf(callerFor(db()).caller.instanceSettings.update({ sessionClaims: customClaims }));
    expect(anonymous.code).toBe("UNAUTHORIZED");
    const { admin, org } = await createOrgWithMember(db(), "NotRoot");
    const orgAdmin = await errorOf(callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.instanceSettings.update({ sessionClaims: customClaims }));
    expect(orgAdmin.code).toBe("FORBIDDEN");
    expect(await countRows(db(), "instance_settings")).toBe(0);
  });

  it("fall back to none when the stored value no longer passes, so sign-in keeps working", async () => {
    await db().query(`insert into instance_settings (id, settings) values ('default', '{"sessionClaims": {"sub": "forged", "ok": 1}}')`);
    expect((await getInstanceSettings(db().db)).sessionClaims).toEqual({});
    const user = await signUp(db());
    expect((await tokenClaims(user.token)).sub).toBe(user.userId);
    expect(parseStoredSessionClaims("not an object")).toEqual({});
    expect(parseStoredSessionClaims({ plan: "{{user.public_metadata.plan}}" })).toEqual({ plan: "{{user.public_metadata.plan}}" });
  });

  it("are typed by the app's LatchkeySessionClaims declaration and unknown elsewhere", () => {
    expect(validateSessionClaims({ plan: "{{user.public_metadata.plan}}" })).toEqual({ plan: "{{user.public_metadata.plan}}" });
    expectTypeOf<SessionClaims["sub"]>().toEqualTypeOf<string>();
    expectTypeOf<SessionClaims["anything"]>().toEqualTypeOf<unknown>();
  });
});

describe("JWT templates and sub", () => {
  it("accept sub as {{user.id}}, the value Latchkey sets anyway, and refuse any other sub", async () => {
    const root = await instanceAdmin();
    const name = `clerk-${Math.random().toString(36).slice(2, 8)}`;
    await root.caller.jwtTemplate.create({ name, claims: { sub: "{{ user.id }}", aud: "convex" } });
    const user = await signUp(db());
    const { jwt } = await callerFor(db(), { token: user.token }).caller.token.get({ template: name });
    expect(decodeJwt(jwt)).toMatchObject({ sub: user.userId, aud: "convex" });
    for (const sub of ["{{user.primary_email_address}}", "user-{{user.id}}", "{{user.id}}{{user.id}}", "admin"]) {
      const error = await errorOf(root.caller.jwtTemplate.create({ name: `${name}-x`, claims: { sub } }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.field).toBe("claims");
      expect(error.message).toContain('"sub"');
    }
    const iss = await errorOf(root.caller.jwtTemplate.create({ name: `${name}-iss`, claims: { iss: "{{user.id}}" } }));
    expect(iss.field).toBe("claims");
  });
});
