/** The waitlist admin page's loader and action against a real (in-memory) database, as the server runs them. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function instanceAdmin() {
  const { token } = await harness.signUp("waitlist-root");
  const [me] = await harness.db().query<{ user_id: string }>(`select user_id from sessions order by created_at desc limit 1`);
  await harness.db().query(`update users set is_instance_admin = true where id = '${me!.user_id}'`);
  return token;
}

async function post(token: string, fields: Record<string, string>) {
  const { action } = await import("./admin.waitlist");
  return harness.run(action, harness.formPost("/admin/waitlist", token, fields));
}

async function load(token: string) {
  const { loader } = await import("./admin.waitlist");
  const request = new Request("http://localhost:3000/admin/waitlist?done=invited", { headers: { cookie: `latchkey_session=${token}` } });
  return loader({ request, context: {}, params: {} } as unknown as LoaderFunctionArgs);
}

// Each test signs up (argon2 hashing), slow on a busy machine.
describe("/admin/waitlist", { timeout: 60_000 }, () => {
  test("invites an address by email, lists the invitation as pending, and revokes it", async () => {
    const token = await instanceAdmin();
    const email = `invitee-${Math.random().toString(36).slice(2, 8)}@example.test`;
    const invited = await post(token, { intent: "invite", email });
    expect(invited.status).toBe(302);
    expect(invited.headers.get("Location")).toBe("/admin/waitlist?done=invited");
    const mail = harness.sent.findLast((m) => m.kind === "instance-invitation");
    expect(mail?.to).toBe(email);
    const page = await load(token);
    expect(page.done).toBe("waitlist.done.invited");
    const row = page.invitations.find((i) => i.email === email)!;
    expect(row.status).toBe("pending");
    expect(JSON.stringify(page)).not.toContain("lkinv_");

    const revoked = await post(token, { intent: "revoke", invitationId: row.id });
    expect(revoked.headers.get("Location")).toBe("/admin/waitlist?done=revoked");
    expect((await load(token)).invitations.find((i) => i.id === row.id)!.status).toBe("revoked");
    // Revoking twice says why, in the page's words.
    const again = await post(token, { intent: "revoke", invitationId: row.id });
    expect(again.status).toBe(409);
    expect((await again.json()).formError).toEqual({ key: "waitlist.admin.notPending" });
  });

  test("approves and rejects pending entries", async () => {
    const token = await instanceAdmin();
    const [a, b] = [`wait-a-${Math.random().toString(36).slice(2, 8)}@example.test`, `wait-b-${Math.random().toString(36).slice(2, 8)}@example.test`];
    await harness.db().query(`insert into waitlist_entries (id, email) values ('wle_route_a${a.length}${Date.now()}', '${a}'), ('wle_route_b${Date.now()}', '${b}')`);
    const entries = (await load(token)).entries;
    const entryA = entries.find((e) => e.email === a)!;
    const entryB = entries.find((e) => e.email === b)!;
    expect((await post(token, { intent: "approve", entryId: entryA.id })).headers.get("Location")).toBe("/admin/waitlist?done=approved");
    expect(harness.sent.findLast((m) => m.kind === "instance-invitation")?.to).toBe(a);
    expect((await post(token, { intent: "reject", entryId: entryB.id })).headers.get("Location")).toBe("/admin/waitlist?done=rejected");
    const after = await load(token);
    expect(after.entries.map((e) => e.email)).not.toContain(a);
    expect(after.entries.map((e) => e.email)).not.toContain(b);
    expect(after.invitations.map((i) => i.email)).toContain(a);
  });

  test("answers a bad address with 400 and a message for the email field, inviting nobody", async () => {
    const token = await instanceAdmin();
    const before = await harness.db().query<{ n: number }>("select count(*)::int as n from instance_invitations");
    const response = await post(token, { intent: "invite", email: "not an address" });
    expect(response.status).toBe(400);
    expect((await response.json()).fieldErrors.email).toEqual({ key: "errors.emailInvalid" });
    expect(await harness.db().query<{ n: number }>("select count(*)::int as n from instance_invitations")).toEqual(before);
  });

  test("refuses a signed-in user who is not an instance admin, changing nothing", async () => {
    const { token } = await harness.signUp("not-admin");
    const before = await harness.db().query<{ n: number }>("select count(*)::int as n from instance_invitations");
    expect((await post(token, { intent: "invite", email: "someone@example.test" })).status).toBe(403);
    await expect(load(token)).rejects.toMatchObject({ status: 403 });
    expect(await harness.db().query<{ n: number }>("select count(*)::int as n from instance_invitations")).toEqual(before);
  });
});
