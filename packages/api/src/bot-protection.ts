/**
 * Bot protection for sign-up, sign-in, the waitlist and password reset (ADR 027), self-hosted and offline:
 *
 * - a honeypot field, checked whatever the mode: a person never sees it, a form-filling bot fills it;
 * - when the instance settings ask for it (`botProtection.mode`: always, or near_limit = the address or IP has used
 *   half of the flow's rate limit), a proof of work: an ALTCHA challenge (altcha-lib, PBKDF2) that the page's
 *   JavaScript solves invisibly; without JavaScript, a signed form token issued with the page, accepted once it is a
 *   few seconds old (people take longer than that to fill a form, scripts don't wait unless made to);
 * - optionally, no sign-up or waitlist entry from a disposable email domain (the `disposable-email-domains` list).
 *
 * Challenges and form tokens are stateless and signed (a key derived from the encryption keyring), expire (10 and 30
 * minutes), and are single use: their nonce goes into `bot_challenges` when answered, and a second answer is refused.
 * Every refusal is audited as `bot_protection.refused`.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createRequire } from "node:module";
import { lt, sql } from "drizzle-orm";
import { z } from "zod";
import { createChallenge, randomInt, verifySolution, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/pbkdf2";
import { botChallenges } from "@latchkey/db";
import { MINUTE, peekRateLimit, type Keyring, type RateLimit } from "@latchkey/auth";
import type { Context } from "./context.ts";
import { ApiError, fieldError } from "./errors.ts";
import type { ErrorReason } from "./error-codes.ts";
import { recordAuditEvent } from "./audit.ts";
import { getInstanceSettings, type BotProtectionMode } from "./instance-settings.ts";

/** What a form or API client sends: the solved challenge, the no-JavaScript token, the honeypot's value. */
export interface BotCheck {
  solution?: string | null;
  formToken?: string | null;
  honeypot?: string | null;
}

/** The form field names, shared with the web app. The honeypot's name is one bots like to fill. */
export const botCheckFields = { solution: "altcha", formToken: "bot_token", honeypot: "website" } as const;

export type BotProtectedFlow = "sign_up" | "sign_in" | "waitlist" | "password_reset";

const CHALLENGE_TTL_MS = 10 * MINUTE;
const FORM_TOKEN_TTL_MS = 30 * MINUTE;
/** A form answered faster than this without JavaScript is sent back once more (the no-JavaScript fallback). */
export const FORM_TOKEN_MIN_AGE_MS = 3_000;
/**
 * The work: PBKDF2-SHA-256 at 1,000 iterations per try, 200–1,200 tries (deterministic mode: the server picks the
 * counter, so verifying is an HMAC check). Well under a second in a browser; multiplied by every request of a flood.
 */
const POW = { algorithm: "PBKDF2/SHA-256", cost: 1_000, counterMin: 200, counterMax: 1_200 } as const;

/** Signing keys derived from the current encryption key: rotating it invalidates challenges in flight (10 minutes). */
function secretsOf(keyring: Keyring) {
  const base = (label: string) => createHash("sha256").update(keyring.current.key).update(`latchkey bot protection ${label}`).digest("hex");
  return { signature: base("signature"), key: base("key"), form: base("form") };
}

/** What a form needs to offer the check: null challenge and token when bot protection is off. */
export async function issueBotCheck(ctx: Pick<Context, "db" | "keyring" | "now">): Promise<{ mode: BotProtectionMode; challenge: Challenge | null; formToken: string | null }> {
  const { mode } = (await getInstanceSettings(ctx.db)).botProtection;
  if (mode === "off") return { mode, challenge: null, formToken: null };
  const secrets = secretsOf(ctx.keyring);
  const challenge = await createChallenge({
    algorithm: POW.algorithm,
    cost: POW.cost,
    counter: randomInt(POW.counterMin, POW.counterMax),
    deriveKey,
    expiresAt: new Date(ctx.now().getTime() + CHALLENGE_TTL_MS),
    hmacSignatureSecret: secrets.signature,
    hmacKeySignatureSecret: secrets.key,
  });
  return { mode, challenge, formToken: createFormToken(ctx, secrets.form) };
}

/** `ft1.<nonce>.<issued ms>.<hmac>`: proves the server issued this form at that time. */
function createFormToken(ctx: Pick<Context, "now">, secret: string): string {
  const body = `ft1.${randomBytes(16).toString("base64url")}.${ctx.now().getTime()}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Spends a nonce once; false when it was spent already. */
async function spendNonce(ctx: Pick<Context, "db" | "now">, nonce: string, expiresAt: Date): Promise<boolean> {
  const now = ctx.now();
  const [row] = await ctx.db.insert(botChallenges).values({ nonce, expiresAt, usedAt: now }).onConflictDoNothing().returning({ nonce: botChallenges.nonce });
  if (Math.random() < 0.01) void ctx.db.delete(botChallenges).where(lt(botChallenges.expiresAt, sql`${now.toISOString()}::timestamptz`)).catch(() => undefined);
  return row !== undefined;
}

const payloadSchema = z.object({
  challenge: z.object({
    parameters: z.object({
      algorithm: z.string().max(32),
      nonce: z.string().min(8).max(128),
      salt: z.string().max(256),
      cost: z.number().int(),
      keyLength: z.number().int(),
      keyPrefix: z.string().max(256),
      keySignature: z.string().max(256).optional(),
      expiresAt: z.number().optional(),
      data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    }),
    signature: z.string().max(256),
  }),
  solution: z.object({ counter: z.number().int().nonnegative(), derivedKey: z.string().max(512), time: z.number().optional() }),
});

/** The widget's payload: base64 of `{ challenge, solution }`. */
async function verifyProofOfWork(ctx: Pick<Context, "db" | "now" | "keyring">, solution: string): Promise<boolean> {
  let parsed;
  try {
    parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(solution.slice(0, 8192), "base64").toString("utf8")));
  } catch {
    return false;
  }
  if (!parsed.success) return false;
  const { challenge, solution: answer } = parsed.data;
  // The challenge must be one of ours: the signature covers every parameter, the algorithm and cost included.
  if (challenge.parameters.algorithm !== POW.algorithm || challenge.parameters.cost !== POW.cost) return false;
  const secrets = secretsOf(ctx.keyring);
  let result;
  try {
    result = await verifySolution({ challenge, solution: answer, deriveKey, hmacSignatureSecret: secrets.signature, hmacKeySignatureSecret: secrets.key });
  } catch {
    return false;
  }
  if (!result.verified) return false;
  const expiresAt = new Date(challenge.parameters.expiresAt ? challenge.parameters.expiresAt * (challenge.parameters.expiresAt < 1e12 ? 1000 : 1) : ctx.now().getTime() + CHALLENGE_TTL_MS);
  return spendNonce(ctx, `pow:${challenge.parameters.nonce}`, expiresAt);
}

async function verifyFormToken(ctx: Pick<Context, "db" | "now" | "keyring">, token: string): Promise<"ok" | "too_fast" | "invalid"> {
  const match = /^(ft1\.([A-Za-z0-9_-]{22})\.(\d{13}))\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return "invalid";
  const [, body, nonce, issued, mac] = match;
  if (!sameText(mac!, createHmac("sha256", secretsOf(ctx.keyring).form).update(body!).digest("base64url"))) return "invalid";
  const age = ctx.now().getTime() - Number(issued);
  if (age > FORM_TOKEN_TTL_MS || age < -MINUTE) return "invalid";
  if (age < FORM_TOKEN_MIN_AGE_MS) return "too_fast";
  return (await spendNonce(ctx, `form:${nonce}`, new Date(Number(issued) + FORM_TOKEN_TTL_MS))) ? "ok" : "invalid";
}

const refusals: Record<"BOT_CHECK_REQUIRED" | "BOT_CHECK_FAILED" | "BOT_CHECK_TOO_FAST", string> = {
  BOT_CHECK_REQUIRED: "Confirm you're not a robot: submit the form again from the page.",
  BOT_CHECK_FAILED: "We couldn't confirm you're not a robot. Submit the form again from the page.",
  BOT_CHECK_TOO_FAST: "That was quicker than a person types. Check the form and submit it again.",
};

async function refuse(ctx: Context, flow: BotProtectedFlow, reason: keyof typeof refusals, detail: string): Promise<never> {
  await recordAuditEvent(ctx, { action: "bot_protection.refused", outcome: "denied", details: { flow, reason: detail } });
  throw new ApiError({ code: "BAD_REQUEST", reason: reason satisfies ErrorReason, message: refusals[reason] });
}

/** A flow's per-IP and per-address limits with their subjects, as the routers key them (`ip:…`, `email:…`). */
export function limitsOf(ctx: Pick<Context, "ip">, [perIp, perEmail]: readonly [RateLimit, RateLimit], email: string): Array<readonly [RateLimit, string]> {
  return [...(ctx.ip ? [[perIp, `ip:${ctx.ip}`] as const] : []), [perEmail, `email:${email}`] as const];
}

/**
 * Refuses a request a bot probably sent: a filled honeypot always; without a valid proof of work or a form token old
 * enough, when the settings require one for this request. `limits` are the flow's own rate limits and subjects, for
 * the near_limit mode (required once any of them is half used). Call it first in the handler.
 */
export async function requireHuman(ctx: Context, input: { flow: BotProtectedFlow; limits: ReadonlyArray<readonly [RateLimit, string]> }): Promise<void> {
  const { honeypot, solution, formToken } = ctx.botCheck;
  if (typeof honeypot === "string" && honeypot.trim() !== "") return refuse(ctx, input.flow, "BOT_CHECK_FAILED", "honeypot");
  const { mode } = (await getInstanceSettings(ctx.db)).botProtection;
  if (mode === "off") return;
  if (mode === "near_limit") {
    const now = ctx.now();
    const used = await Promise.all(input.limits.map(([limit, subject]) => peekRateLimit(ctx.db, limit, subject, now)));
    if (!input.limits.some(([limit], i) => used[i]! * 2 >= limit.max)) return;
  }
  if (solution) {
    if (await verifyProofOfWork(ctx, solution)) return;
    return refuse(ctx, input.flow, "BOT_CHECK_FAILED", "proof_of_work");
  }
  if (formToken) {
    const verdict = await verifyFormToken(ctx, formToken);
    if (verdict === "ok") return;
    return verdict === "too_fast" ? refuse(ctx, input.flow, "BOT_CHECK_TOO_FAST", "form_token_too_fast") : refuse(ctx, input.flow, "BOT_CHECK_FAILED", "form_token");
  }
  return refuse(ctx, input.flow, "BOT_CHECK_REQUIRED", "missing");
}

let disposable: { domains: Set<string>; wildcards: Set<string> } | undefined;

/** The maintained list, loaded on first use (120,000 domains; a few MB, so only when the setting is on). */
function disposableLists() {
  if (!disposable) {
    const require = createRequire(import.meta.url);
    disposable = {
      domains: new Set(require("disposable-email-domains") as string[]),
      wildcards: new Set(require("disposable-email-domains/wildcard.json") as string[]),
    };
  }
  return disposable;
}

/** True for an address at a disposable domain (or a subdomain of a wildcard one). */
export function isDisposableEmail(email: string): boolean {
  const domain = email.slice(email.lastIndexOf("@") + 1).toLowerCase().replace(/\.$/, "");
  const { domains, wildcards } = disposableLists();
  if (domains.has(domain)) return true;
  const labels = domain.split(".");
  return labels.some((_, i) => wildcards.has(labels.slice(i).join(".")));
}

/** Refuses a disposable address when the settings block them (sign-up and the waitlist), naming the email field. */
export async function requirePermanentEmail(ctx: Context, flow: BotProtectedFlow, email: string): Promise<void> {
  if (!(await getInstanceSettings(ctx.db)).botProtection.blockDisposableEmails || !isDisposableEmail(email)) return;
  await recordAuditEvent(ctx, { action: "bot_protection.refused", outcome: "denied", details: { flow, reason: "disposable_email", domain: email.slice(email.lastIndexOf("@") + 1) } });
  throw fieldError("email", "Use a permanent email address: this one is from a disposable email service.", "DISPOSABLE_EMAIL");
}
