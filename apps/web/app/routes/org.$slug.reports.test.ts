/**
 * The reports page, guarded by the run-time permission `org:reports:read` (ADR 022), against a real (in-memory)
 * database: `requireAuth` in the loader and `getAuth().has` turn true on the request after an org admin gives a
 * member a custom role holding it, and the page answers 403 before.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { createCaller, createInnerContext } from "@latchkey/api";
import { memberships } from "@latchkey/db";
import { getAuth } from "~/lib/auth.server";
import { reportsRead } from "~/lib/custom-permissions";
import { APP_URL, createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();
const { api } = harness;

function get(path: string, token: string, params: Record<string, string> = {}): LoaderFunctionArgs {
  return { request: new Request(`${APP_URL}${path}`, { headers: { cookie: `latchkey_session=${token}` } }), context: {}, params } as unknown as LoaderFunctionArgs;
}

async function run(loader: (args: LoaderFunctionArgs) => unknown, args: LoaderFunctionArgs): Promise<unknown> {
  try {
    return await loader(args);
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

describe("/org/:slug/reports", { timeout: 60_000 }, () => {
  test("opens for a member on the request after they are given a custom role holding org:reports:read, and not before", async () => {
    const root = await harness.signUp("reports-root");
    await harness.db().query(`update users set is_instance_admin = true where id = (select user_id from email_addresses where email = '${root.email}')`);
    const roleKey = `org:analyst_${Math.random().toString(36).slice(2, 8)}`;
    await api(root.token).caller.role.createPermission({ key: "org:reports:read", name: "Read reports" });
    await api(root.token).caller.role.create({ key: roleKey, name: "Analyst", permissions: ["org:reports:read"] });

    const admin = await harness.signUp("reports-admin");
    const org = await api(admin.token).caller.organization.create({ name: "Reports Co", slug: `reports-${Math.random().toString(36).slice(2, 8)}` });
    const member = await harness.signUp("reports-member");
    const memberId = (await api(member.token).caller.user.me()).id;
    const membership = await harness.db().db.insert(memberships).values({ organizationId: org.id, userId: memberId }).returning({ id: memberships.id });
    await harness.db().query(`insert into membership_roles (membership_id, role_id) select '${membership[0]!.id}', id from roles where key = 'org:member'`);

    const { loader } = await import("./org.$slug.reports");
    const page = `/org/${org.slug}/reports`;
    expect(((await run(loader, get(page, member.token, { slug: org.slug }))) as Response).status).toBe(403);
    expect((await getAuth(get(page, member.token, { slug: org.slug }))).has({ permission: reportsRead })).toBe(false);

    // The org admin doesn't hold org:reports:read, yet may hand out the role built for it.
    const asAdmin = createCaller(createInnerContext({ db: harness.db().db, appUrl: APP_URL, resHeaders: new Headers(), sessionToken: admin.token, orgSlug: org.slug }));
    await asAdmin.member.setRole({ membershipId: membership[0]!.id, roleKey });

    const opened = (await run(loader, get(page, member.token, { slug: org.slug }))) as Awaited<ReturnType<typeof loader>>;
    expect(opened.roles).toEqual([roleKey]);
    expect((await getAuth(get(page, member.token, { slug: org.slug }))).has({ permission: reportsRead })).toBe(true);
    // The admin still lacks it: 403.
    expect(((await run(loader, get(page, admin.token, { slug: org.slug }))) as Response).status).toBe(403);
  });
});
