/**
 * The impersonation policy covers the whole app router: every session-bound procedure is either refused or allowed
 * while an admin views as a user, by an explicit decision in impersonation-policy.ts. A new procedure fails here until
 * someone decides; and the middleware refuses exactly the procedures the policy names.
 */
import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { appRouter } from "./root.ts";
import type { AuthzPolicy } from "./trpc.ts";
import { allowedWhileImpersonating, isRestrictedWhileImpersonating, restrictedWhileImpersonating } from "./impersonation-policy.ts";
import { callerFor, signUp, tokenFrom, uniqueEmail } from "../test/helpers.ts";

const db = useTestDb();

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: { authz?: AuthzPolicy } } }>).map(
  ([path, p]) => ({ path, authz: p._def.meta?.authz }),
);
const sessionBound = procedures.filter((p) => p.authz?.kind !== "public" && p.authz?.kind !== "instanceAdmin");

describe("the impersonation policy", () => {
  it("decides every session-bound procedure of the app router exactly once", () => {
    const undecided = sessionBound.filter((p) => !restrictedWhileImpersonating.has(p.path) && !allowedWhileImpersonating.has(p.path)).map((p) => p.path);
    expect(undecided, "procedures on neither list of impersonation-policy.ts").toEqual([]);
    const both = [...restrictedWhileImpersonating].filter((path) => allowedWhileImpersonating.has(path));
    expect(both, "procedures on both lists").toEqual([]);
    const known = new Set(sessionBound.map((p) => p.path));
    const stale = [...restrictedWhileImpersonating, ...allowedWhileImpersonating].filter((path) => !known.has(path));
    expect(stale, "listed paths that are not session-bound procedures (gone, public or instance-admin)").toEqual([]);
  });

  it("refuses exactly the listed procedures and every instance-admin one", () => {
    const refused = procedures.filter((p) => p.authz?.kind !== "public" && isRestrictedWhileImpersonating(p.path, p.authz)).map((p) => p.path);
    const expected = [...restrictedWhileImpersonating, ...procedures.filter((p) => p.authz?.kind === "instanceAdmin").map((p) => p.path)];
    expect(refused.sort()).toEqual(expected.sort());
    // Fail closed: a procedure nobody decided about is refused.
    expect(isRestrictedWhileImpersonating("brandNew.procedure", { kind: "authed" })).toBe(true);
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
    for (const { path, authz } of procedures) {
      if (authz?.kind === "public" || enders.has(path)) continue;
      const api = callerFor(db(), { token, impersonatorSessionToken: admin.token }).caller as unknown as Record<string, unknown>;
      const procedure = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], api) as (i: unknown) => Promise<unknown>;
      // No input: a refused procedure is stopped before its input is read; an allowed one fails validation at most.
      const reason = await procedure(undefined).then(
        () => null,
        (error: { reason?: string }) => error.reason ?? null,
      );
      if (isRestrictedWhileImpersonating(path, authz)) expect(reason, path).toBe("IMPERSONATION_RESTRICTED");
      else expect(reason, path).not.toBe("IMPERSONATION_RESTRICTED");
    }
  });
});
