import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "../mail/index.ts";
import { normalizeDomain } from "../domains.ts";
import { callerFor, countRows, createOrgWithMember, errorOf, type CallerOptions } from "../../test/helpers.ts";

const db = useTestDb();
const MINUTE = 60_000;

function capture() {
  const { mailer, sent } = createMemoryMailer();
  /** The newest verification code mailed to `to`. */
  const codeFor = (to: string) => {
    const mail = sent.findLast((m) => m.kind === "verification-code" && m.to === to);
    if (mail?.kind !== "verification-code") throw new Error(`no code mailed to ${to}`);
    return mail.values.code;
  };
  return { sent, mailer, codeFor };
}

export function randomDomain(label = "acme"): string {
  return `${label}-${Math.random().toString(36).slice(2, 10)}.test`;
}

async function setup(name = "Domains") {
  const world = await createOrgWithMember(db(), name);
  const mail = capture();
  const admin = (extra: CallerOptions = {}) => callerFor(db(), { token: world.admin.token, orgSlug: world.org.slug, mailer: mail.mailer, ...extra }).caller;
  const member = (extra: CallerOptions = {}) => callerFor(db(), { token: world.member.token, orgSlug: world.org.slug, mailer: mail.mailer, ...extra }).caller;
  return { ...world, mail, admin, member };
}

type Admin = Awaited<ReturnType<typeof setup>>["admin"];

/** Adds, sends a code to `admin@<domain>` and verifies it. */
async function addVerified(admin: Admin, mail: ReturnType<typeof capture>, domain: string) {
  const added = await admin().domain.add({ domain });
  await admin().domain.sendVerification({ domainId: added.id, email: `admin@${domain}` });
  return admin().domain.verify({ domainId: added.id, code: mail.codeFor(`admin@${domain}`) });
}

async function domainRows(organizationId: string) {
  return db().query<{ id: string; domain: string; verified_at: Date | null; enrollment_mode: string; verification_email: string | null }>(
    `select id, domain, verified_at, enrollment_mode, verification_email from organization_domains where organization_id = '${organizationId}' order by created_at, id`,
  );
}

describe("domain names", () => {
  it("are trimmed, lower-cased, stripped of a trailing dot and turned into punycode", () => {
    expect(normalizeDomain("  Example.COM. ")).toBe("example.com");
    expect(normalizeDomain("Bücher.example")).toBe("xn--bcher-kva.example");
    expect(normalizeDomain("xn--bcher-kva.example")).toBe("xn--bcher-kva.example");
    expect(normalizeDomain("a-b.c-d.example.org")).toBe("a-b.c-d.example.org");
  });

  it("refuses anything that is not a hostname with a dot", () => {
    for (const bad of ["", "localhost", "com", "-bad.com", "bad-.com", "a..com", "exa mple.com", "http://example.com", "user@example.com", "example.com:80", "example.com/path", "10.0.0.1", "[::1]", "*.example.com", `${"a".repeat(64)}.com`, `${"a.".repeat(130)}com`, "ex_ample.com"]) {
      expect(normalizeDomain(bad), bad).toBeNull();
    }
  });
});

describe("domain.add", () => {
  it("adds a normalised, unverified domain in manual mode, lists it, and audits it", async () => {
    const { admin, member, org } = await setup();
    const domain = randomDomain();
    const added = await admin().domain.add({ domain: ` ${domain.toUpperCase()}. ` });
    expect(added).toMatchObject({ domain, verified: false, enrollmentMode: "manual_invitation" });
    expect(added.id).toMatch(/^dom_/);
    // Members without org:sys_domains:read are refused; admins see the list.
    expect((await errorOf(member().domain.list())).code).toBe("FORBIDDEN");
    expect((await admin().domain.list()).map((d) => d.domain)).toEqual([domain]);
    const audit = await db().query<{ outcome: string }>(`select outcome from audit_events where organization_id = '${org.id}' and action = 'domain.added'`);
    expect(audit.map((a) => a.outcome)).toEqual(["success"]);
  });

  it("refuses bad domains with a 400 naming the field, writing nothing", async () => {
    const { admin } = await setup();
    const before = await countRows(db(), "organization_domains");
    for (const domain of ["", "localhost", "not a domain", "https://example.com/x", "a@b.com", "192.168.0.1"]) {
      const error = await errorOf(admin().domain.add({ domain }));
      expect(error.code, domain).toBe("BAD_REQUEST");
      expect(error.message, domain).toMatch(/^domain: /);
    }
    expect((await errorOf(admin().domain.add({} as never))).message).toMatch(/^domain: /);
    expect(await countRows(db(), "organization_domains")).toBe(before);
  });

  it("refuses public email providers and their subdomains", async () => {
    const { admin, org } = await setup();
    for (const domain of ["gmail.com", "Outlook.com", "yahoo.com", "icloud.com", "proton.me", "mail.yahoo.com"]) {
      const error = await errorOf(admin().domain.add({ domain }));
      expect(error, domain).toMatchObject({ code: "BAD_REQUEST", reason: "DOMAIN_PUBLIC_PROVIDER", field: "domain" });
    }
    expect(await domainRows(org.id)).toEqual([]);
    const audit = await db().query<{ outcome: string }>(`select outcome from audit_events where organization_id = '${org.id}' and action = 'domain.added'`);
    expect(audit.every((a) => a.outcome === "failure")).toBe(true);
  });

  it("refuses the same domain twice in one organization", async () => {
    const { admin, org } = await setup();
    const domain = randomDomain();
    await admin().domain.add({ domain });
    expect(await errorOf(admin().domain.add({ domain: domain.toUpperCase() }))).toMatchObject({ code: "CONFLICT", field: "domain" });
    expect(await domainRows(org.id)).toHaveLength(1);
  });

  it("refuses a domain another organization verified, without naming that organization", async () => {
    const a = await setup("Alpha Corp");
    const b = await setup("Beta Corp");
    const domain = randomDomain();
    await addVerified(a.admin, a.mail, domain);
    const error = await errorOf(b.admin().domain.add({ domain }));
    expect(error).toMatchObject({ code: "CONFLICT", reason: "DOMAIN_TAKEN", field: "domain" });
    expect(error.message).not.toContain("Alpha");
    expect(await domainRows(b.org.id)).toEqual([]);
  });
});

describe("domain.sendVerification and domain.verify", () => {
  it("sends a 6-digit code to an address at the domain and verifies with it", async () => {
    const { admin, mail, org } = await setup();
    const domain = randomDomain();
    const added = await admin().domain.add({ domain });
    const sent = await admin().domain.sendVerification({ domainId: added.id, email: `IT@${domain.toUpperCase()}` });
    expect(sent.email).toBe(`it@${domain}`);
    const code = mail.codeFor(`it@${domain}`);
    expect(code).toMatch(/^\d{6}$/);
    expect((await domainRows(org.id))[0]!.verification_email).toBe(`it@${domain}`);
    const verified = await admin().domain.verify({ domainId: added.id, code: ` ${code.slice(0, 3)} ${code.slice(3)} ` });
    expect(verified).toMatchObject({ verified: true, domain });
    expect((await admin().domain.list())[0]!.verified).toBe(true);
    const audit = await db().query<{ action: string; outcome: string }>(
      `select action, outcome from audit_events where organization_id = '${org.id}' and action like 'domain.%' order by occurred_at, id`,
    );
    expect(audit).toEqual([
      { action: "domain.added", outcome: "success" },
      { action: "domain.verification_sent", outcome: "success" },
      { action: "domain.verified", outcome: "success" },
    ]);
  });

  it("refuses an address that is not at that exact domain, naming the field and sending nothing", async () => {
    const { admin, mail, org } = await setup();
    const domain = randomDomain();
    const added = await admin().domain.add({ domain });
    for (const email of [`a@sub.${domain}`, `a@${domain}.evil.test`, "a@example.test", `a@x${domain}`]) {
      const error = await errorOf(admin().domain.sendVerification({ domainId: added.id, email }));
      expect(error, email).toMatchObject({ code: "BAD_REQUEST", reason: "EMAIL_NOT_AT_DOMAIN", field: "email" });
    }
    expect((await errorOf(admin().domain.sendVerification({ domainId: added.id, email: "not an email" }))).message).toMatch(/^email: /);
    expect((await errorOf(admin().domain.sendVerification({ domainId: "nope", email: `a@${domain}` }))).message).toMatch(/^domainId: /);
    expect(mail.sent).toEqual([]);
    expect((await domainRows(org.id))[0]!.verification_email).toBeNull();
  });

  it("refuses a wrong code, an expired code, and a sixth guess", async () => {
    const { admin, mail, org } = await setup();
    const domain = randomDomain();
    const added = await admin().domain.add({ domain });
    const start = Date.now();
    await admin({ now: () => new Date(start) }).domain.sendVerification({ domainId: added.id, email: `a@${domain}` });
    const code = mail.codeFor(`a@${domain}`);
    const wrong = code === "000000" ? "111111" : "000000";
    expect(await errorOf(admin().domain.verify({ domainId: added.id, code: wrong }))).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_CODE", field: "code" });
    expect((await errorOf(admin().domain.verify({ domainId: added.id, code: "12" }))).message).toMatch(/^code: /);
    // Eleven minutes later the right code has expired.
    const later = admin({ now: () => new Date(start + 11 * MINUTE) });
    expect(await errorOf(later.domain.verify({ domainId: added.id, code }))).toMatchObject({ reason: "EXPIRED_CODE", field: "code" });
    // A fresh code, then five wrong guesses: the right one no longer works.
    await admin().domain.sendVerification({ domainId: added.id, email: `a@${domain}` });
    const fresh = mail.codeFor(`a@${domain}`);
    const bad = fresh === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i += 1) await errorOf(admin().domain.verify({ domainId: added.id, code: bad }));
    expect(await errorOf(admin().domain.verify({ domainId: added.id, code: fresh }))).toMatchObject({ reason: "TOO_MANY_ATTEMPTS" });
    expect((await domainRows(org.id))[0]!.verified_at).toBeNull();
  });

  it("refuses to verify before a code was sent", async () => {
    const { admin } = await setup();
    const added = await admin().domain.add({ domain: randomDomain() });
    expect(await errorOf(admin().domain.verify({ domainId: added.id, code: "123456" }))).toMatchObject({ code: "BAD_REQUEST", field: "code" });
  });

  it("of concurrent verifies with the right code, exactly one succeeds", async () => {
    const { admin, mail, org } = await setup();
    const domain = randomDomain();
    const added = await admin().domain.add({ domain });
    await admin().domain.sendVerification({ domainId: added.id, email: `a@${domain}` });
    const code = mail.codeFor(`a@${domain}`);
    const results = await Promise.allSettled([1, 2, 3].map(() => admin().domain.verify({ domainId: added.id, code })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    // The losers wait for the winner's transaction and are told the domain is verified, never that the code was wrong.
    for (const r of results) if (r.status === "rejected") expect((r.reason as { reason: string }).reason).toBe("DOMAIN_ALREADY_VERIFIED");
    const audit = await db().query<{ n: number }>(`select count(*)::int as n from audit_events where organization_id = '${org.id}' and action = 'domain.verified' and outcome = 'success'`);
    expect(Number(audit[0]!.n)).toBe(1);
  });

  it("a domain verified by one organization can't then be verified by another that claimed it too", async () => {
    const a = await setup("First Corp");
    const b = await setup("Second Corp");
    const domain = randomDomain();
    const claimB = await b.admin().domain.add({ domain });
    await b.admin().domain.sendVerification({ domainId: claimB.id, email: `b@${domain}` });
    const codeB = b.mail.codeFor(`b@${domain}`);
    await addVerified(a.admin, a.mail, domain);
    const error = await errorOf(b.admin().domain.verify({ domainId: claimB.id, code: codeB }));
    expect(error).toMatchObject({ code: "CONFLICT", reason: "DOMAIN_TAKEN" });
    expect(error.message).not.toContain("First");
    expect(await errorOf(b.admin().domain.sendVerification({ domainId: claimB.id, email: `b@${domain}` }))).toMatchObject({ reason: "DOMAIN_TAKEN" });
    expect((await domainRows(b.org.id))[0]!.verified_at).toBeNull();
  });

  it("limits code sending per organization", async () => {
    const { admin } = await setup();
    const domain = randomDomain();
    const added = await admin().domain.add({ domain });
    for (let i = 0; i < 20; i += 1) await admin().domain.sendVerification({ domainId: added.id, email: `u${i}@${domain}` });
    expect(await errorOf(admin().domain.sendVerification({ domainId: added.id, email: `u20@${domain}` }))).toMatchObject({ code: "TOO_MANY_REQUESTS" });
  });

  it("limits code sending per IP, across organizations", async () => {
    const a = await setup();
    const b = await setup();
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}`;
    for (const { admin } of [a, b]) {
      const domain = randomDomain();
      const added = await admin().domain.add({ domain });
      for (let i = 0; i < 10; i += 1) await admin({ ip }).domain.sendVerification({ domainId: added.id, email: `ip${i}@${domain}` });
    }
    const last = await b.admin().domain.add({ domain: randomDomain() });
    expect(await errorOf(b.admin({ ip }).domain.sendVerification({ domainId: last.id, email: `ipx@${last.domain}` }))).toMatchObject({ code: "TOO_MANY_REQUESTS" });
  });
});

describe("domain.setEnrollmentMode and domain.remove", () => {
  it("sets the mode of a verified domain only", async () => {
    const { admin, mail, org } = await setup();
    const unverified = await admin().domain.add({ domain: randomDomain() });
    expect(await errorOf(admin().domain.setEnrollmentMode({ domainId: unverified.id, mode: "automatic_suggestion" }))).toMatchObject({ code: "CONFLICT", reason: "DOMAIN_NOT_VERIFIED" });
    const verified = await addVerified(admin, mail, randomDomain());
    expect(await admin().domain.setEnrollmentMode({ domainId: verified.id, mode: "automatic_suggestion" })).toMatchObject({ enrollmentMode: "automatic_suggestion" });
    expect((await errorOf(admin().domain.setEnrollmentMode({ domainId: verified.id, mode: "everyone" as never }))).message).toMatch(/^mode: /);
    const rows = await domainRows(org.id);
    expect(rows.map((r) => r.enrollment_mode)).toEqual(["manual_invitation", "automatic_suggestion"]);
  });

  it("removes a domain and audits it", async () => {
    const { admin, org } = await setup();
    const added = await admin().domain.add({ domain: randomDomain() });
    expect(await admin().domain.remove({ domainId: added.id })).toEqual({ id: added.id });
    expect(await domainRows(org.id)).toEqual([]);
    expect(await errorOf(admin().domain.remove({ domainId: added.id }))).toMatchObject({ code: "NOT_FOUND" });
    const audit = await db().query<{ outcome: string }>(`select outcome from audit_events where organization_id = '${org.id}' and action = 'domain.removed' order by occurred_at`);
    expect(audit.map((a) => a.outcome)).toEqual(["success", "failure"]);
  });

  it("another organization's domain id finds nothing and nothing changes", async () => {
    const a = await setup("Owner Corp");
    const b = await setup("Intruder Corp");
    const domain = randomDomain();
    const verified = await addVerified(a.admin, a.mail, domain);
    const pending = await a.admin().domain.add({ domain: randomDomain() });
    const before = JSON.stringify(await domainRows(a.org.id));
    // Each call starts only when the previous one settled: a rejection nobody awaits yet would be "unhandled".
    const calls = [
      () => b.admin().domain.setEnrollmentMode({ domainId: verified.id, mode: "automatic_invitation" }),
      () => b.admin().domain.remove({ domainId: verified.id }),
      () => b.admin().domain.sendVerification({ domainId: pending.id, email: `x@${pending.domain}` }),
      () => b.admin().domain.verify({ domainId: pending.id, code: "123456" }),
    ];
    for (const call of calls) expect(await errorOf(call())).toMatchObject({ code: "NOT_FOUND" });
    expect(JSON.stringify(await b.admin().domain.list())).not.toContain(domain);
    expect(JSON.stringify(await domainRows(a.org.id))).toBe(before);
    expect(b.mail.sent).toEqual([]);
  });

  it("bad ids and modes name the field and change nothing", async () => {
    const { admin, mail, org } = await setup();
    const verified = await addVerified(admin, mail, randomDomain());
    const before = JSON.stringify(await domainRows(org.id));
    const calls = {
      domainId: [
        () => admin().domain.remove({ domainId: "org_not_a_domain" }),
        () => admin().domain.verify({ domainId: "", code: "123456" }),
        () => admin().domain.setEnrollmentMode({ domainId: "x".repeat(100), mode: "automatic_suggestion" }),
      ],
      mode: [() => admin().domain.setEnrollmentMode({ domainId: verified.id, mode: "" as never })],
    };
    for (const [field, list] of Object.entries(calls)) {
      for (const call of list) {
        const error = await errorOf(call());
        expect(error.code).toBe("BAD_REQUEST");
        expect(error.message).toMatch(new RegExp(`^${field}: `));
      }
    }
    expect(JSON.stringify(await domainRows(org.id))).toBe(before);
  });

  it("members without the manage permission can't change domains", async () => {
    const { admin, member, org } = await setup();
    const added = await admin().domain.add({ domain: randomDomain() });
    expect((await errorOf(member().domain.add({ domain: randomDomain() }))).code).toBe("FORBIDDEN");
    expect((await errorOf(member().domain.remove({ domainId: added.id }))).code).toBe("FORBIDDEN");
    expect(await domainRows(org.id)).toHaveLength(1);
  });
});
