/**
 * The impersonation policy covers the whole app router: every session-bound procedure says where it is declared
 * whether it is `.sensitive()` (refused while an admin views as a user) or `.routine()` (allowed). A new procedure
 * fails here until someone decides; and the middleware refuses exactly the procedures declared sensitive.
 */
import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { appRouter } from "./root.ts";
import type { Meta } from "./trpc.ts";
import { isRestrictedWhileImpersonating } from "./impersonation-policy.ts";
import { callerFor, signUp, tokenFrom, uniqueEmail } from "../test/helpers.ts";

const db = useTestDb();

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta } }>).map(
  ([path, p]) => ({ path, meta: p._def.meta, authz: p._def.meta?.authz }),
);
const sessionBound = procedures.filter((p) => p.authz?.kind !== "public" && p.authz?.kind !== "instanceAdmin");

describe("the impersonation policy", () => {
  it("has every session-bound procedure of the app router declare itself sensitive or routine", () => {
    const undecided = sessionBound.filter((p) => typeof p.meta?.sensitive !== "boolean").map((p) => p.path);
    expect(undecided, "procedures without .sensitive() or .routine()").toEqual([]);
    const undeclared = procedures.filter((p) => p.authz === undefined).map((p) => p.path);
    expect(undeclared, "procedures without a policy").toEqual([]);
  });

  it("refuses exactly the sensitive procedures and every instance-admin one, and fails closed", () => {
    const refused = procedures.filter((p) => p.authz?.kind !== "public" && isRestrictedWhileImpersonating(p.meta)).map((p) => p.path);
    const expected = procedures.filter((p) => p.meta?.sensitive === true || p.authz?.kind === "instanceAdmin").map((p) => p.path);
    expect(refused.sort()).toEqual(expected.sort());
    expect(isRestrictedWhileImpersonating({ authz: { kind: "authed" } }), "undecided").toBe(true);
    expect(isRestrictedWhileImpersonating({ authz: { kind: "instanceAdmin" }, sensitive: false }), "instance admin").toBe(true);
    expect(isRestrictedWhileImpersonating({ authz: { kind: "member" }, sensitive: false })).toBe(false);
  });

  it("keeps credentials, consent and irreversible actions sensitive", () => {
    const mustBeSensitive = ["auth.reverify", "user.changePassword", "user.delete", "emailAddress.add", "mfa.totp.start", "passkey.register", "session.revoke", "invitation.accept", "member.setRole", "organization.delete", "project.delete", "domain.verify", "oauth.saveSsoConnection", "mfa.organizationPolicy.set"];
    const meta = new Map(procedures.map((p) => [p.path, p.meta]));
    expect(mustBeSensitive.filter((path) => meta.get(path)?.sensitive !== true)).toEqual([]);
  });

  it("is what the middleware enforces in an impersonation session, procedure by procedure", { timeout: 120_000 }, async () => {
    const admin = await signUp(db(), uniqueEmail("policy-admin"));
    await db().query(`update users set is_instance_admin = true where id = '${admin.userId}'`);
    const user = await signUp(db(), uniqueEmail("policy-user"));
    const start = callerFor(db(), { token: admin.token });
    await start.caller.impersonation.start({ userId: user.userId, reason: "Policy test" });
    const token = tokenFrom(start.resHeaders)!;
    // Both endings of the impersonation are allowed; calling them here would end the session the loop needs.
    const enders = new Set(["auth.signOut", "impersonation.stop"]);
    for (const { path, authz, meta } of procedures) {
      if (authz?.kind === "public" || enders.has(path)) continue;
      const api = callerFor(db(), { token, impersonatorSessionToken: admin.token }).caller as unknown as Record<string, unknown>;
      const procedure = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], api) as (i: unknown) => Promise<unknown>;
      // No input: a refused procedure is stopped before its input is read; an allowed one fails validation at most.
      const reason = await procedure(undefined).then(
        () => null,
        (error: { reason?: string }) => error.reason ?? null,
      );
      if (isRestrictedWhileImpersonating(meta)) expect(reason, path).toBe("IMPERSONATION_RESTRICTED");
      else expect(reason, path).not.toBe("IMPERSONATION_RESTRICTED");
    }
  });
});
