/**
 * The audit log pages and their JSON Lines exports against a real (in-memory) database, the way the server runs
 * them: who may read, the export's headers and content, and bad filters.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { APP_URL, createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();
const { api } = harness;

async function adminWithOrg() {
  const { token, email } = await harness.signUp("audit");
  const org = await api(token).caller.organization.create({ name: "Audit Co", slug: `audit-${Math.random().toString(36).slice(2, 8)}` });
  return { token, email, org };
}

function get(path: string, token: string | null, params: Record<string, string> = {}): LoaderFunctionArgs {
  const headers: Record<string, string> = token ? { cookie: `latchkey_session=${token}` } : {};
  return { request: new Request(`${APP_URL}${path}`, { headers }), context: {}, params } as unknown as LoaderFunctionArgs;
}

/** Runs a loader; a thrown Response (403, redirect) comes back as the Response. */
async function run(loader: (args: LoaderFunctionArgs) => unknown, args: LoaderFunctionArgs): Promise<unknown> {
  try {
    return await loader(args);
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

describe("/org/:slug/audit", { timeout: 60_000 }, () => {
  test("shows an admin the organization's events, filtered by action, with a filter-carrying export link path", async () => {
    const { token, org } = await adminWithOrg();
    await api(token).caller.invitation.create({ emails: [`invitee-${Math.random().toString(36).slice(2, 8)}@example.test`], roleKey: "org:member" });
    const { loader } = await import("./org.$slug.audit");
    const page = (await run(loader, get(`/org/${org.slug}/audit?action=invitation.`, token, { slug: org.slug }))) as Awaited<ReturnType<typeof loader>>;
    expect(page.path).toBe(`/org/${org.slug}/audit`);
    expect(page.filters.action).toBe("invitation.");
    expect(page.page.events.map((e) => e.action)).toEqual(["invitation.created"]);
    expect(page.fieldErrors).toEqual({});
  });

  test("shows bad filters next to their fields instead of failing", async () => {
    const { token, org } = await adminWithOrg();
    const { loader } = await import("./org.$slug.audit");
    const page = (await run(loader, get(`/org/${org.slug}/audit?from=31-01-2025&outcome=maybe`, token, { slug: org.slug }))) as Awaited<ReturnType<typeof loader>>;
    expect(page.fieldErrors).toEqual({ from: "audit.errors.date", outcome: "audit.errors.outcome" });
    expect(page.page.events).toEqual([]);
    // A mangled cursor starts over.
    const restarted = (await run(loader, get(`/org/${org.slug}/audit?cursor=garbage`, token, { slug: org.slug }))) as Awaited<ReturnType<typeof loader>>;
    expect(restarted.page.events.length).toBeGreaterThan(0);
  });

  test("answers a plain member 403", async () => {
    const admin = await adminWithOrg();
    const member = await harness.signUp("audit-member");
    const memberId = (await api(member.token).caller.user.me()).id;
    await harness.db().query(
      `insert into memberships (id, organization_id, user_id) values ('orgmem_audit${Math.random().toString(36).slice(2, 8)}', '${admin.org.id}', '${memberId}')`,
    );
    const { loader } = await import("./org.$slug.audit");
    const answer = (await run(loader, get(`/org/${admin.org.slug}/audit`, member.token, { slug: admin.org.slug }))) as Response;
    expect(answer.status).toBe(403);
    const { loader: exportLoader } = await import("./org.$slug.audit[.jsonl]");
    const refused = await exportLoader(get(`/org/${admin.org.slug}/audit.jsonl`, member.token, { slug: admin.org.slug }));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe("Forbidden");
  });
});

describe("/org/:slug/audit.jsonl", { timeout: 60_000 }, () => {
  test("streams the filtered events as an NDJSON attachment and records the export", async () => {
    const { token, org } = await adminWithOrg();
    await api(token).caller.organization.update({ name: "Audit Co Renamed" }).catch(() => undefined);
    const { loader } = await import("./org.$slug.audit[.jsonl]");
    const response = await loader(get(`/org/${org.slug}/audit.jsonl?action=organization.created`, token, { slug: org.slug }));
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/x-ndjson; charset=utf-8");
    expect(response.headers.get("Content-Disposition")).toMatch(new RegExp(`^attachment; filename="audit-${org.slug}-\\d{4}-\\d{2}-\\d{2}\\.jsonl"$`));
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const lines = (await response.text()).trimEnd().split("\n").map((line) => JSON.parse(line) as { action: string; organization_id: string });
    expect(lines).toEqual([expect.objectContaining({ action: "organization.created", organization_id: org.id })]);
    const exported = await api(token).caller.audit.listForOrganization({ action: "audit.exported" });
    expect(exported.events).toHaveLength(1);
  });

  test("answers bad filters 400 naming the field, and records nothing", async () => {
    const { token, org } = await adminWithOrg();
    const { loader } = await import("./org.$slug.audit[.jsonl]");
    const response = await loader(get(`/org/${org.slug}/audit.jsonl?to=2025-02-30`, token, { slug: org.slug }));
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/^to: /);
    expect((await api(token).caller.audit.listForOrganization({ action: "audit.exported" })).events).toHaveLength(0);
  });
});

describe("/admin/audit and /admin/audit.jsonl", { timeout: 60_000 }, () => {
  test("are for instance admins only", async () => {
    const { token } = await adminWithOrg();
    const { loader } = await import("./admin.audit");
    expect(((await run(loader, get("/admin/audit", token))) as Response).status).toBe(403);
    const { loader: exportLoader } = await import("./admin.audit[.jsonl]");
    expect((await exportLoader(get("/admin/audit.jsonl", token))).status).toBe(403);

    const id = (await api(token).caller.user.me()).id;
    await harness.db().query(`update users set is_instance_admin = true where id = '${id}'`);
    const page = (await run(loader, get("/admin/audit?action=organization.", token))) as Awaited<ReturnType<typeof loader>>;
    expect(page.page.events.length).toBeGreaterThan(0);
    const response = await exportLoader(get("/admin/audit.jsonl?outcome=success", token));
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Disposition")).toMatch(/^attachment; filename="audit-instance-/);
    const text = await response.text();
    expect(text.split("\n").filter(Boolean).every((line) => (JSON.parse(line) as { outcome: string }).outcome === "success")).toBe(true);
  });
});
