import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, errorOf } from "../test/helpers.ts";
import { handleTrpcRequest } from "./http.ts";
import { createMemoryMailer } from "./mail/index.ts";
import { createOrganizationWithMembers, createSignedInUser, sessionCookie, signInBrowserContext, testEmail, type CookieJar } from "./testing.ts";

const db = useTestDb();

describe("createSignedInUser", () => {
  it("signs a +latchkey_test user up through the real flow and returns a working session", async () => {
    const user = await createSignedInUser(db().db, { firstName: "Tess" });
    expect(user.email).toMatch(/\+latchkey_test@example\.test$/);
    const me = await callerFor(db(), { token: user.token }).caller.user.me();
    expect(me).toMatchObject({ id: user.userId, firstName: "Tess" });
  });

  it("works for an ordinary address too, reading the code from the email", async () => {
    const user = await createSignedInUser(db().db, { email: `plain-${Date.now()}@example.test` });
    expect((await callerFor(db(), { token: user.token }).caller.user.me()).id).toBe(user.userId);
  });
});

describe("createOrganizationWithMembers", () => {
  it("gives each member the role asked for, and the roles decide what they may do", async () => {
    const { organization, members } = await createOrganizationWithMembers(db().db, { name: "Fixture", roles: ["org:admin", "org:member", "org:member"] });
    expect(members.map((m) => m.role)).toEqual(["org:admin", "org:member", "org:member"]);
    const [admin, member] = members;
    const asAdmin = callerFor(db(), { token: admin!.token, orgSlug: organization.slug }).caller;
    const listed = await asAdmin.member.list();
    expect(JSON.stringify(listed)).toContain(member!.userId);
    const asMember = callerFor(db(), { token: member!.token, orgSlug: organization.slug }).caller;
    const refused = await errorOf(asMember.invitation.create({ emails: [testEmail("invitee")], roleKey: "org:member" }));
    expect(refused.code).toBe("FORBIDDEN");
    await expect(asAdmin.invitation.create({ emails: [testEmail("invitee")], roleKey: "org:member" })).resolves.toBeTruthy();
  });

  it("refuses a role that does not exist", async () => {
    await expect(createOrganizationWithMembers(db().db, { roles: ["org:admin", "org:nonexistent"] })).rejects.toThrow(/no role "org:nonexistent"/);
  });
});

describe("signInBrowserContext", () => {
  let server: Server;
  let appUrl: string;
  const { mailer, sent } = createMemoryMailer();

  // The app's tRPC endpoint over real HTTP, as a browser test meets it.
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
        const body = req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks);
        handleTrpcRequest(new Request(`${appUrl}${req.url}`, { method: req.method, headers, body }), { db: db().db, appUrl, mailer }).then(async (response) => {
          res.statusCode = response.status;
          for (const [name, value] of response.headers) if (name !== "set-cookie") res.setHeader(name, value);
          res.setHeader("set-cookie", response.headers.getSetCookie());
          res.end(Buffer.from(await response.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("signs a new test user up over HTTP with 424242, sending no email, and hands the browser a session cookie", async () => {
    const cookies: Parameters<CookieJar["addCookies"]>[0] = [];
    const jar: CookieJar = { addCookies: async (added) => void cookies.push(...added) };
    const user = await signInBrowserContext(jar, appUrl, { firstName: "Browser" });
    expect(sent.filter((m) => m.to === user.email)).toEqual([]);
    expect(cookies).toEqual([sessionCookie(user.token, appUrl)]);
    expect(cookies[0]).toMatchObject({ name: "latchkey_session", httpOnly: true, secure: false, sameSite: "Lax", url: appUrl });
    const me = await callerFor(db(), { token: cookies[0]!.value }).caller.user.me();
    expect(me).toMatchObject({ id: user.userId, firstName: "Browser" });
  });

  it("fails loudly, signing nobody in, when the app refuses the sign-up", async () => {
    const jar = { addCookies: async () => {} };
    await expect(signInBrowserContext(jar, appUrl, { email: "not an address" })).rejects.toThrow(/auth\.signUp failed \(400\)/);
  });

  it("names the __Host- cookie for an https app", () => {
    expect(sessionCookie("t", "https://auth.example.com/")).toMatchObject({ name: "__Host-latchkey_session", secure: true, url: "https://auth.example.com" });
  });
});
