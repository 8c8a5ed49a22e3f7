import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/pbkdf2";
import { auditEvents, signUpAttempts, waitlistEntries } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, errorOf, PASSWORD, signUp, uniqueEmail } from "../test/helpers.ts";
import { getInstanceSettings, updateInstanceSettings, type InstanceSettings } from "./instance-settings.ts";
import { isDisposableEmail, type BotCheck } from "./bot-protection.ts";

const db = useTestDb();

/** Runs `fn` with some settings changed, then puts those keys back as they were. */
async function withSettings(patch: Partial<InstanceSettings>, fn: () => Promise<void>) {
  const before = await getInstanceSettings(db().db);
  await updateInstanceSettings(db().db, patch);
  try {
    await fn();
  } finally {
    const restore = Object.fromEntries(Object.keys(patch).map((key) => [key, before[key as keyof InstanceSettings]]));
    await updateInstanceSettings(db().db, restore);
  }
}

const always = { botProtection: { mode: "always" as const, blockDisposableEmails: false } };
const visitor = (botCheck: BotCheck = {}, options: { now?: () => Date; ip?: string } = {}) => callerFor(db(), { botCheck, ...options }).caller;
const later = (ms: number) => () => new Date(Date.now() + ms);

/** Solves a challenge as the page's script does, and packs it as the widget's payload (base64 JSON). */
async function solve(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey });
  return Buffer.from(JSON.stringify({ challenge, solution })).toString("base64");
}

async function refusals(flow: string) {
  const rows = await db()
    .db.select({ details: auditEvents.details })
    .from(auditEvents)
    .where(eq(auditEvents.action, "bot_protection.refused"));
  return rows.flatMap((r) => {
    const details = r.details as { flow: string; reason: string };
    return details.flow === flow ? [details.reason] : [];
  });
}

const signUpInput = (email = uniqueEmail("bot")) => ({ email, password: PASSWORD });

describe("auth.botChallenge", () => {
  it("hands out nothing while bot protection is off, and a signed challenge and form token when it is on", async () => {
    await expect(visitor().auth.botChallenge()).resolves.toEqual({ mode: "off", challenge: null, formToken: null });
    await withSettings(always, async () => {
      const issued = await visitor().auth.botChallenge();
      expect(issued.mode).toBe("always");
      expect(issued.challenge?.parameters.algorithm).toBe("PBKDF2/SHA-256");
      expect(issued.challenge?.signature).toMatch(/^[0-9a-f]{64}$/);
      expect(issued.formToken).toMatch(/^ft1\./);
    });
  });
});

describe("the honeypot", () => {
  it("refuses a filled honeypot even with bot protection off, writes no sign-up and audits it", async () => {
    const email = uniqueEmail("honeypot");
    const error = await errorOf(visitor({ honeypot: "https://spam.example" }).auth.signUp(signUpInput(email)));
    expect([error.code, error.reason]).toEqual(["BAD_REQUEST", "BOT_CHECK_FAILED"]);
    expect(await db().db.select().from(signUpAttempts).where(eq(signUpAttempts.email, email))).toEqual([]);
    expect(await refusals("sign_up")).toContain("honeypot");
    // An empty honeypot is what a person sends.
    await visitor({ honeypot: "" }).auth.signUp(signUpInput());
  });
});

describe("proof of work, when bot protection is always on", () => {
  it("refuses sign-up, sign-in, the waitlist and password reset without a check", async () => {
    await withSettings({ ...always, signUpMode: "waitlist" }, async () => {
      const email = uniqueEmail("nocheck");
      for (const call of [
        () => visitor().auth.signUp(signUpInput(email)),
        () => visitor().auth.signIn({ email, password: PASSWORD }),
        () => visitor().passwordless.requestCode({ email }),
        () => visitor().passwordless.requestLink({ email }),
        () => visitor().waitlist.join({ email }),
        () => visitor().passwordReset.request({ email }),
      ]) {
        const error = await errorOf(call());
        expect([error.code, error.reason]).toEqual(["BAD_REQUEST", "BOT_CHECK_REQUIRED"]);
      }
      expect(await db().db.select().from(waitlistEntries).where(eq(waitlistEntries.email, email))).toEqual([]);
    });
  });

  it("accepts a solved challenge once, and refuses a replay, a tampered one and garbage", async () => {
    await withSettings(always, async () => {
      const { challenge } = await visitor().auth.botChallenge();
      const payload = await solve(challenge!);
      const done = await visitor({ solution: payload }).auth.signUp(signUpInput());
      expect(done.status).toBe("needs_verification");

      const replay = await errorOf(visitor({ solution: payload }).auth.signUp(signUpInput()));
      expect(replay.reason).toBe("BOT_CHECK_FAILED");

      // A solved payload whose challenge was edited afterwards (a later expiry): its signature no longer matches.
      const solved = JSON.parse(Buffer.from(await solve((await visitor().auth.botChallenge()).challenge!), "base64").toString()) as { challenge: Challenge };
      solved.challenge.parameters.expiresAt = solved.challenge.parameters.expiresAt! + 3600;
      const tampered = Buffer.from(JSON.stringify(solved)).toString("base64");
      expect((await errorOf(visitor({ solution: tampered }).auth.signUp(signUpInput()))).reason).toBe("BOT_CHECK_FAILED");
      const garbage = await errorOf(visitor({ solution: "bm90IGpzb24=" }).auth.signUp(signUpInput()));
      expect(garbage.reason).toBe("BOT_CHECK_FAILED");
      expect(await refusals("sign_up")).toContain("proof_of_work");
    });
  });

  it("refuses an expired challenge", async () => {
    await withSettings(always, async () => {
      const { challenge } = await callerFor(db(), { now: later(-11 * 60_000) }).caller.auth.botChallenge();
      const error = await errorOf(visitor({ solution: await solve(challenge!) }).auth.signUp(signUpInput()));
      expect(error.reason).toBe("BOT_CHECK_FAILED");
    });
  });
});

describe("the no-JavaScript form token", () => {
  it("is sent back when answered faster than a person types, accepted after a few seconds, once", async () => {
    await withSettings(always, async () => {
      const { formToken } = await visitor().auth.botChallenge();
      const fast = await errorOf(visitor({ formToken }).auth.signUp(signUpInput()));
      expect([fast.code, fast.reason]).toEqual(["BAD_REQUEST", "BOT_CHECK_TOO_FAST"]);
      await visitor({ formToken }, { now: later(5_000) }).auth.signUp(signUpInput());
      const again = await errorOf(visitor({ formToken }, { now: later(6_000) }).auth.signUp(signUpInput()));
      expect(again.reason).toBe("BOT_CHECK_FAILED");
    });
  });

  it("refuses a forged or stale token", async () => {
    await withSettings(always, async () => {
      const { formToken } = await visitor().auth.botChallenge();
      const forged = `${formToken!.slice(0, -4)}AAAA`;
      expect((await errorOf(visitor({ formToken: forged }, { now: later(5_000) }).auth.signUp(signUpInput()))).reason).toBe("BOT_CHECK_FAILED");
      expect((await errorOf(visitor({ formToken }, { now: later(31 * 60_000) }).auth.signUp(signUpInput()))).reason).toBe("BOT_CHECK_FAILED");
    });
  });
});

describe("near_limit mode", () => {
  it("asks for nothing until the address has used half its sign-in limit, then asks", async () => {
    await withSettings({ botProtection: { mode: "near_limit", blockDisposableEmails: false } }, async () => {
      const user = await signUp(db(), uniqueEmail("near"));
      const ip = "203.0.113.77";
      // The per-address sign-in limit is 20 per 15 minutes: 10 attempts pass without a check.
      for (let i = 0; i < 10; i++) await visitor({}, { ip: `${ip.slice(0, -2)}${i}` }).auth.signIn({ email: user.email, password: PASSWORD });
      const error = await errorOf(visitor({}, { ip }).auth.signIn({ email: user.email, password: PASSWORD }));
      expect(error.reason).toBe("BOT_CHECK_REQUIRED");
      const { challenge } = await visitor().auth.botChallenge();
      const done = await visitor({ solution: await solve(challenge!) }, { ip }).auth.signIn({ email: user.email, password: PASSWORD });
      expect(done.status).toBe("complete");
    });
  });
});

describe("disposable email domains", () => {
  it("knows the list, with subdomains of wildcard entries", () => {
    expect(isDisposableEmail("someone@mailinator.com")).toBe(true);
    expect(isDisposableEmail("someone@example.com")).toBe(false);
    expect(isDisposableEmail("someone@EXAMPLE.test")).toBe(false);
  });

  it("refuses a sign-up or a waitlist entry from one when the setting is on, naming the email field", async () => {
    await withSettings({ signUpMode: "waitlist", botProtection: { mode: "off", blockDisposableEmails: true } }, async () => {
      for (const call of [() => visitor().waitlist.join({ email: "bot@mailinator.com" })]) {
        const error = await errorOf(call());
        expect([error.code, error.reason, error.field]).toEqual(["BAD_REQUEST", "DISPOSABLE_EMAIL", "email"]);
      }
    });
    await withSettings({ botProtection: { mode: "off", blockDisposableEmails: true } }, async () => {
      const error = await errorOf(visitor().auth.signUp(signUpInput("bot@mailinator.com")));
      expect(error.field).toBe("email");
      expect(await db().db.select().from(signUpAttempts).where(eq(signUpAttempts.email, "bot@mailinator.com"))).toEqual([]);
    });
    // Off: the same address may sign up.
    await visitor().auth.signUp(signUpInput("person@mailinator.com"));
    expect(await refusals("waitlist")).toContain("disposable_email");
  });
});

describe("the setting", () => {
  it("is changed by an instance admin through instanceSettings.update and refused when malformed", async () => {
    const admin = await signUp(db(), uniqueEmail("bot-admin"));
    await db().query(`update users set is_instance_admin = true where id = '${admin.userId}'`);
    const api = callerFor(db(), { token: admin.token }).caller;
    const bad = await errorOf(api.instanceSettings.update({ botProtection: { mode: "sometimes", blockDisposableEmails: false } } as never));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toContain("botProtection.mode");
    await api.instanceSettings.update({ botProtection: { mode: "near_limit", blockDisposableEmails: true } });
    expect((await getInstanceSettings(db().db)).botProtection).toEqual({ mode: "near_limit", blockDisposableEmails: true });
    await api.instanceSettings.update({ botProtection: { mode: "off", blockDisposableEmails: false } });
  });
});
