/**
 * Every procedure, fuzzed: inputs generated from its own zod input schema (valid-shaped, one field swapped for
 * something hostile, or hostile outright: huge strings, deep objects, `__proto__` keys, confusables, NaN, wrong
 * types), called as every kind of caller. Whatever arrives:
 *   - never a 5xx (INTERNAL_SERVER_ERROR above all);
 *   - no stack, SQL or file path in any message;
 *   - a refused call writes nothing: a caller the policy refuses, or an input the schema refuses, leaves every
 *     business table as it was (sessions, audit events and rate-limit counters may move: they record the refusal).
 *
 * Fixed seed and FUZZ_RUNS inputs per procedure and caller (4 by default, so CI stays around a minute); set
 * FUZZ_RUNS=50 (and FUZZ_SEED) for a deeper run. The counts are printed at the end.
 */
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { z } from "zod";
import { createSession, defaultRolePermissions } from "@latchkey/auth";
import type { DbHandle } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { appRouter } from "./root.ts";
import type { AuthzPolicy } from "./trpc.ts";
import { createMemoryMailer } from "./mail/index.ts";
import { createMemorySmsSender } from "./sms/index.ts";
import { addMember, callerFor, insertSignedInUser, uniqueEmail } from "../test/helpers.ts";
import { fuzzInput, type Pools } from "../test/zod-arbitrary.ts";

const db = useTestDb();
const RUNS = Number(process.env.FUZZ_RUNS ?? 4);
const SEED = Number(process.env.FUZZ_SEED ?? 20261208);

type CallerKind = "anonymous" | "signedInWithoutOrg" | "member" | "admin" | "instanceAdmin";
const callerKinds: CallerKind[] = ["anonymous", "signedInWithoutOrg", "member", "admin", "instanceAdmin"];

interface World {
  orgSlug: string;
  userIds: Record<Exclude<CallerKind, "anonymous">, string>;
  pools: Pools;
}

/** One organization (an admin and a member), a user without one, and an instance administrator without one. */
async function buildWorld(handle: DbHandle): Promise<World> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const [admin, member, loner, root] = await Promise.all(["fuzz-admin", "fuzz-member", "fuzz-loner", "fuzz-root"].map((l) => insertSignedInUser(handle, uniqueEmail(l))));
  await handle.query(`update users set is_instance_admin = true where id = '${root!.userId}'`);
  const org = await callerFor(handle, { token: admin!.token }).caller.organization.create({ name: `Fuzz ${suffix}`, slug: `fuzz-${suffix}` });
  const asAdmin = callerFor(handle, { token: admin!.token, orgSlug: org.slug }).caller;
  const membershipId = await addMember(handle, org.id, member!.userId, "org:member");
  const project = await asAdmin.project.create({ name: `Fuzz project ${suffix}` });
  const invitation = await asAdmin.invitation.create({ emails: [uniqueEmail("fuzz-invitee")], roleKey: "org:member" });
  return {
    orgSlug: org.slug,
    userIds: { admin: admin!.userId, member: member!.userId, signedInWithoutOrg: loner!.userId, instanceAdmin: root!.userId },
    pools: {
      ids: [org.id, membershipId, project.id, invitation.invited[0]!.id, admin!.userId, member!.userId, loner!.userId, root!.userId, admin!.sessionId],
      emails: [admin!.email, member!.email, loner!.email, uniqueEmail("fuzz-new")],
      slugs: [org.slug, "org:admin", "org:member", "org:projects:read", "org:fuzz:write", "user.created", "EdDSA", "pending"],
    },
  };
}

/** A world whose users can still be used (a fuzzed admin call may ban, lock or delete one, or delete the org). */
async function isIntact(handle: DbHandle, w: World): Promise<boolean> {
  const ids = Object.values(w.userIds).map((id) => `'${id}'`).join(", ");
  const [row] = await handle.query<{ users: number; orgs: number; members: number }>(
    `select (select count(*)::int from users where id in (${ids}) and banned_at is null and deleted_at is null and (locked_until is null or locked_until < now())) as users,
            (select count(*)::int from organizations where slug = '${w.orgSlug}') as orgs,
            (select count(*)::int from memberships m join organizations o on o.id = m.organization_id where o.slug = '${w.orgSlug}') as members`,
  );
  return row!.users === 4 && row!.orgs === 1 && row!.members === 2;
}

/** Business tables: a refused call must leave them as they were. Sessions, audit events and counters are left out. */
const guardedTables = [
  "users", "email_addresses", "password_credentials", "organizations", "roles", "memberships", "membership_roles",
  "invitations", "verifications", "sign_up_attempts", "images", "organization_domains", "organization_suggestions",
  "custom_permissions", "projects", "totp_factors", "backup_codes", "passkeys", "webauthn_challenges", "phone_numbers",
  "sign_in_challenges", "outbox_events", "webhook_endpoints", "webhook_deliveries", "signing_keys", "jwt_templates",
  "oauth_accounts", "sso_connections", "oauth_states", "instance_invitations", "waitlist_entries", "instance_settings",
];
const snapshotSql = guardedTables
  .map((t) => `select '${t}' as t, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${t} x`)
  .join(" union all ");

async function snapshot(handle: DbHandle): Promise<string> {
  const rows = await handle.query<{ t: string; h: string }>(snapshotSql);
  return rows.map((r) => `${r.t}:${r.h}`).join("\n");
}

function isRefusedByPolicy(policy: AuthzPolicy, caller: CallerKind): boolean {
  switch (policy.kind) {
    case "public":
      return false;
    case "authed":
      return caller === "anonymous";
    case "member":
      return caller !== "admin" && caller !== "member";
    case "permission":
      if (caller === "admin") return !defaultRolePermissions["org:admin"].includes(policy.permission as never);
      if (caller === "member") return !defaultRolePermissions["org:member"].includes(policy.permission as never);
      return true;
    case "role":
      return !((caller === "admin" && policy.role === "org:admin") || (caller === "member" && policy.role === "org:member"));
    case "instanceAdmin":
      return caller !== "instanceAdmin";
  }
}

type Outcome = { ok: true } | { ok: false; code: string; message: string; reason: string };

const counts = { calls: 0, fiveHundreds: 0, serviceUnavailable: 0, refusedUnchanged: 0, procedures: 0 };
/** Answers by code (OK, BAD_REQUEST, FORBIDDEN …): shows the inputs reach past the schema, not only bounce off it. */
const answers: Record<string, number> = {};
const failures: string[] = [];

/** Things no answer may carry. */
const leaks = [/\n\s+at /, /\bselect\b.+\bfrom\b/i, /\binsert into\b/i, /\bupdate\b.+\bset\b/i, /"[a-z_]+"\."[a-z_]+"/, /\.tsx?:\d+/, /node_modules/, /\$argon2/];

function describeInput(input: unknown): string {
  try {
    const text = JSON.stringify(input, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
    return text === undefined ? String(input) : text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(input);
  }
}

type ProcedureDef = { _def: { type: string; meta?: { authz?: AuthzPolicy }; inputs: z.ZodType[] } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, ProcedureDef>);

async function inputParses(schemas: z.ZodType[], input: unknown): Promise<boolean> {
  for (const schema of schemas) {
    try {
      if (!(await schema.safeParseAsync(input)).success) return false;
    } catch {
      return false;
    }
  }
  return true;
}

describe("fuzzing every procedure", () => {
  let world: World | undefined;
  let settings: string | undefined;
  const { mailer } = createMemoryMailer();
  const { sender } = createMemorySmsSender();

  afterAll(() => {
    // The numbers CI prints: how much was tried and how many 5xx answers came back.
    console.info(
      `[fuzz] ${counts.procedures} procedures × ${callerKinds.length} callers × ${RUNS} runs (seed ${SEED}): ${counts.calls} calls, ` +
        `${counts.fiveHundreds} × 5xx (INTERNAL_SERVER_ERROR), ${counts.serviceUnavailable} × 503, ${counts.refusedUnchanged} refused batches checked unchanged; answers ${JSON.stringify(answers)}`,
    );
  });

  for (const [index, [path, procedure]] of procedures.entries()) {
    it(`${path} answers every input from every caller without a 5xx, a leak, or a refused write`, async () => {
      const handle = db();
      if (!world || !(await isIntact(handle, world))) world = await buildWorld(handle);
      settings ??= JSON.stringify(await handle.query(`select * from instance_settings`));
      const w = world;
      counts.procedures += 1;
      const policy = procedure._def.meta?.authz ?? { kind: "public" as const };
      const schema = procedure._def.inputs[0];
      // Fresh sessions every procedure: a fuzzed signOut or revoke must not leave the next procedure anonymous.
      const tokens: Partial<Record<CallerKind, string>> = {};
      for (const kind of callerKinds) {
        if (kind === "anonymous") continue;
        tokens[kind] = (await createSession(handle.db, { userId: w.userIds[kind], ip: "198.51.100.7", userAgent: "fuzz" })).token;
      }
      const inputs = fc.sample(fuzzInput(schema, w.pools), { seed: SEED + index, numRuns: RUNS * callerKinds.length });

      async function call(kind: CallerKind, input: unknown): Promise<Outcome> {
        const orgSlug = kind === "admin" || kind === "member" ? w.orgSlug : null;
        const api = callerFor(handle, { token: tokens[kind] ?? null, orgSlug, mailer, sms: sender }).caller as unknown as Record<string, unknown>;
        const fn = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], api) as (i: unknown) => Promise<unknown>;
        counts.calls += 1;
        try {
          await fn(input);
          answers.OK = (answers.OK ?? 0) + 1;
          return { ok: true };
        } catch (error) {
          const e = error as { code?: string; message?: string; reason?: string; cause?: unknown };
          const outcome = { ok: false as const, code: e.code ?? "NOT_A_TRPC_ERROR", message: String(e.message ?? ""), reason: e.reason ?? "" };
          const where = `${path} as ${kind} with ${describeInput(input)}`;
          answers[outcome.code] = (answers[outcome.code] ?? 0) + 1;
          if (outcome.code === "INTERNAL_SERVER_ERROR" || outcome.code === "NOT_A_TRPC_ERROR") {
            counts.fiveHundreds += 1;
            failures.push(`${where}: ${outcome.code} ${outcome.message} ${e.cause instanceof Error ? e.cause.stack?.split("\n").slice(0, 3).join(" ") : ""}`);
          } else if (outcome.code === "SERVICE_UNAVAILABLE") {
            counts.serviceUnavailable += 1;
          }
          if (outcome.code !== "INTERNAL_SERVER_ERROR") {
            for (const leak of leaks) if (leak.test(outcome.message)) failures.push(`${where}: the message leaks ${leak}: ${outcome.message.slice(0, 300)}`);
          }
          return outcome;
        }
      }

      // Inputs split by the procedure's own parser: the refused ones must write nothing.
      const batches = await Promise.all(
        callerKinds.map(async (kind, i) => {
          const mine = inputs.slice(i * RUNS, (i + 1) * RUNS);
          const refusedCaller = isRefusedByPolicy(policy, kind);
          const parsed = await Promise.all(mine.map((input) => inputParses(procedure._def.inputs, input)));
          return {
            kind,
            refusedCaller,
            guarded: mine.filter((_, j) => refusedCaller || !parsed[j]),
            free: mine.filter((_, j) => !refusedCaller && parsed[j]),
          };
        }),
      );

      // Refused calls first, bracketed by snapshots of the business tables.
      let before = await snapshot(handle);
      for (const batch of batches) {
        for (const input of batch.guarded) {
          const outcome = await call(batch.kind, input);
          const where = `${path} as ${batch.kind} with ${describeInput(input)}`;
          if (outcome.ok) failures.push(`${where}: succeeded, but ${batch.refusedCaller ? "the policy refuses this caller" : "the schema refuses this input"}`);
          else if (batch.refusedCaller && !["UNAUTHORIZED", "FORBIDDEN"].includes(outcome.code)) failures.push(`${where}: a refused caller got ${outcome.code}`);
        }
        const after = await snapshot(handle);
        if (after !== before) {
          const changed = after.split("\n").filter((line, i) => line !== before.split("\n")[i]).map((l) => l.split(":")[0]);
          failures.push(`${path} as ${batch.kind}: refused calls changed ${changed.join(", ")}`);
        } else if (batch.guarded.length > 0) counts.refusedUnchanged += 1;
        before = after;
      }
      // Then the inputs that parse, from callers the policy lets in: anything but a 5xx.
      for (const batch of batches) for (const input of batch.free) await call(batch.kind, input);

      // Put instance-wide settings back, so a fuzzed settings change does not shape every later procedure.
      if (JSON.stringify(await handle.query(`select * from instance_settings`)) !== settings) {
        await handle.query(`delete from instance_settings`);
        await handle.query(`insert into instance_settings select * from json_populate_recordset(null::instance_settings, '${settings.replace(/'/g, "''")}'::json)`);
      }
      expect(failures, failures.join("\n")).toEqual([]);
    });
  }

  it("made every call without a 5xx", () => {
    expect(counts.fiveHundreds).toBe(0);
    expect(counts.calls).toBeGreaterThanOrEqual(procedures.length * callerKinds.length * RUNS);
  });
});
