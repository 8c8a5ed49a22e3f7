/**
 * `@latchkey/api/testing`: helpers for an app's own tests and browser tests.
 *
 * - With the database at hand (Vitest, a seed script): `createSignedInUser(db)` walks the real sign-up flow and
 *   returns the session token; `createOrganizationWithMembers(db, { roles: ["org:admin", "org:member"] })` adds an
 *   organization whose first member created it and whose others hold the roles given.
 * - Against a running app in a development or test instance (browser tests): `signInBrowserContext(context, url)`
 *   signs a fresh `+latchkey_test` user up through the HTTP API with test mode's fixed code 424242 (test-mode.ts) and
 *   puts the session cookie in the browser context, so a test starts signed in without the sign-up pages or an inbox.
 *   It needs no database access, so it works whatever the app runs on (PGlite allows one process only).
 */
import { and, eq } from "drizzle-orm";
import { membershipRoles, memberships, roles, type Database } from "@latchkey/db";
import { sessionCookieName } from "@latchkey/auth";
import { signUpConfirmed, type ConfirmedSignUp } from "../cli/confirmed-sign-up.ts";
import { createInnerContext } from "./context.ts";
import { createCaller } from "./root.ts";
import { TEST_MODE_CODE } from "./test-mode.ts";

export { signUpConfirmed, type ConfirmedSignUp, type ConfirmedSignUpInput } from "../cli/confirmed-sign-up.ts";
export { TEST_MODE_CODE, isTestModeRecipient } from "./test-mode.ts";

export const TEST_PASSWORD = "correct horse battery staple";
const DEFAULT_APP_URL = "http://localhost:3000";

let counter = 0;
/** A fresh test-mode address: `label-…+latchkey_test@example.test` (no message is sent to it in test mode). */
export function testEmail(label = "user"): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}${counter}-${Math.random().toString(36).slice(2, 7)}+latchkey_test@example.test`;
}

export interface SignedInUser extends ConfirmedSignUp {
  email: string;
  password: string;
}

/** A user who signed up and confirmed the address (the real flow), signed in: `token` is their session. */
export async function createSignedInUser(
  db: Database,
  input: { email?: string; password?: string; firstName?: string; lastName?: string; appUrl?: string } = {},
): Promise<SignedInUser> {
  const email = input.email ?? testEmail();
  const password = input.password ?? TEST_PASSWORD;
  const { appUrl, ...profile } = input;
  const done = await signUpConfirmed(db, { ...profile, email, password }, { appUrl: appUrl ?? DEFAULT_APP_URL });
  return { ...done, email, password };
}

export interface OrganizationWithMembers {
  organization: { id: string; slug: string; name: string };
  /** In the order of `roles`; the first created the organization (and holds `org:admin` whatever `roles[0]` says). */
  members: (SignedInUser & { role: string })[];
}

/**
 * An organization created by its first member, with one signed-in member per role in `roles` (role keys such as
 * `org:admin`, `org:member` or a custom role's key). Throws on a role that does not exist.
 */
export async function createOrganizationWithMembers(
  db: Database,
  input: { name?: string; slug?: string; roles?: readonly string[]; appUrl?: string } = {},
): Promise<OrganizationWithMembers> {
  const appUrl = input.appUrl ?? DEFAULT_APP_URL;
  const [firstRole = "org:admin", ...otherRoles] = input.roles ?? ["org:admin"];
  const creator = await createSignedInUser(db, { appUrl });
  const name = input.name ?? "Test organization";
  const slug = input.slug ?? `test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const organization = await createCaller(createInnerContext({ db, appUrl, sessionToken: creator.token })).organization.create({ name, slug });
  const members: OrganizationWithMembers["members"] = [{ ...creator, role: firstRole }];
  if (firstRole !== "org:admin") await setRoles(db, organization.id, creator.userId, [firstRole]);
  for (const role of otherRoles) {
    const user = await createSignedInUser(db, { appUrl });
    await setRoles(db, organization.id, user.userId, [role]);
    members.push({ ...user, role });
  }
  return { organization: { id: organization.id, slug: organization.slug, name: organization.name }, members };
}

/** Makes `userId` a member holding exactly `roleKeys` (the membership triggers keep the rights in step). */
async function setRoles(db: Database, organizationId: string, userId: string, roleKeys: readonly string[]): Promise<void> {
  const roleIds: string[] = [];
  for (const key of roleKeys) {
    const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.key, key));
    if (!role) throw new Error(`createOrganizationWithMembers: no role "${key}"`);
    roleIds.push(role.id);
  }
  await db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)));
    const [membership] = existing
      ? [existing]
      : await tx.insert(memberships).values({ organizationId, userId }).returning({ id: memberships.id });
    await tx.delete(membershipRoles).where(eq(membershipRoles.membershipId, membership!.id));
    for (const roleId of roleIds) await tx.insert(membershipRoles).values({ membershipId: membership!.id, roleId });
  });
}

/** A Playwright cookie (`context.addCookies([…])`) carrying `token` as the session, for the app at `appUrl`. */
export function sessionCookie(token: string, appUrl: string) {
  const url = new URL(appUrl);
  return {
    name: sessionCookieName(appUrl),
    value: token,
    url: url.origin,
    httpOnly: true,
    secure: url.protocol === "https:",
    sameSite: "Lax" as const,
  };
}

/** What `signInBrowserContext` needs of a Playwright `BrowserContext`. */
export interface CookieJar {
  addCookies(cookies: ReturnType<typeof sessionCookie>[]): Promise<void>;
}

async function callProcedure(appUrl: string, path: string, input: unknown): Promise<{ data: unknown; setCookies: string[] }> {
  const origin = new URL(appUrl).origin;
  const response = await fetch(`${origin}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: JSON.stringify({ json: input }),
  });
  const body = (await response.json()) as { result?: { data?: { json?: unknown } }; error?: { json?: { message?: string } } };
  if (!response.ok || !body.result) throw new Error(`${path} failed (${response.status}): ${body.error?.json?.message ?? "no answer"}`);
  return { data: body.result.data?.json, setCookies: response.headers.getSetCookie() };
}

/**
 * Signs a new `+latchkey_test` user up on the running app at `appUrl` (a development or test instance: test mode's
 * code 424242 confirms the address) and puts their session cookie into `context`. Returns the user.
 */
export async function signInBrowserContext(
  context: CookieJar,
  appUrl: string,
  input: { email?: string; password?: string; firstName?: string } = {},
): Promise<{ userId: string; email: string; password: string; token: string }> {
  const email = input.email ?? testEmail("browser");
  const password = input.password ?? TEST_PASSWORD;
  const started = await callProcedure(appUrl, "auth.signUp", { email, password, ...(input.firstName ? { firstName: input.firstName } : {}) });
  const signUpId = (started.data as { signUpId?: string }).signUpId;
  if (!signUpId) throw new Error("auth.signUp did not ask for a code: is email verification turned off?");
  const verified = await callProcedure(appUrl, "signUp.verify", { signUpId, code: TEST_MODE_CODE });
  const name = sessionCookieName(appUrl);
  const token = verified.setCookies
    .map((cookie) => (cookie.startsWith(`${name}=`) ? decodeURIComponent(cookie.slice(name.length + 1).split(";", 1)[0]!) : ""))
    .find(Boolean);
  if (!token) throw new Error("signUp.verify set no session cookie: is test mode off (production)?");
  await context.addCookies([sessionCookie(token, appUrl)]);
  return { userId: (verified.data as { userId: string }).userId, email, password, token };
}
