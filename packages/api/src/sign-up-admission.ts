/**
 * Who may sign up, under the instance settings as they are on this request (issue 8; ADR 015): the allow- and
 * blocklists, the sign-up mode (invite-only and waitlist instances need an instance invitation for the address, or an
 * open organization invitation), the optional sign-up fields and the minimum password length. `prepareSignUp` runs
 * when a sign-up starts; `admitNewAccount` runs again inside the transaction that creates the account, where the
 * instance invitation is claimed; `checkOAuthSignUp` is the same gate for accounts made by OAuth.
 */
import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { instanceInvitations, phoneNumbers, users, type Database } from "@latchkey/db";
import { checkPasswordPolicy } from "@latchkey/auth";
import type { Context } from "./context.ts";
import { ApiError, fieldError } from "./errors.ts";
import { emailSchema, localeSchema, passwordSchema, personNameSchema, usernameSchema } from "./validation.ts";
import { checkAddressLists, getInstanceSettings, type InstanceSettings, type SignUpFieldMode } from "./instance-settings.ts";
import {
  claimInstanceInvitation,
  findInstanceInvitationByToken,
  hasPendingOrganizationInvitation,
  instanceInvitationStatus,
  invitationUnusable,
} from "./instance-invitations.ts";
import { phoneSchema } from "./router/phone.ts";

/** `auth.signUp`'s input: the optional fields are validated against the settings by `prepareSignUp`, not here. */
export const signUpInputSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  firstName: personNameSchema.optional(),
  lastName: personNameSchema.optional(),
  username: z.string().max(64, "At most 32 characters.").optional(),
  phone: z.string().max(32, "Enter the number in international format, e.g. +48 601 234 567.").optional(),
  /** The token from an instance invitation's link (`/sign-up?invitation=…`). */
  invitation: z.string().trim().max(200, "This invitation link is not valid.").optional(),
  /** The language the sign-up page was shown in; emails follow it. */
  locale: localeSchema.optional(),
});
export type SignUpInput = z.infer<typeof signUpInputSchema>;

const addressRefused = () =>
  new ApiError({ code: "FORBIDDEN", reason: "EMAIL_NOT_ALLOWED", field: "email", message: "email: This address can't be used to sign up." });

/** Why a sign-up without an invitation is refused in this mode (the page offers the waitlist for `SIGN_UP_WAITLIST`). */
export function signUpClosed(mode: Exclude<InstanceSettings["signUpMode"], "public">): ApiError {
  return mode === "waitlist"
    ? new ApiError({ code: "FORBIDDEN", reason: "SIGN_UP_WAITLIST", message: "Sign-up is closed for now. Join the waitlist and we'll invite you." })
    : new ApiError({ code: "FORBIDDEN", reason: "SIGN_UP_RESTRICTED", message: "Sign-up is by invitation only." });
}

export const usernameTaken = () =>
  new ApiError({ code: "CONFLICT", reason: "USERNAME_TAKEN", field: "username", message: "username: That username is taken. Choose another one." });

/** One optional field under its mode: hidden → dropped even if posted; required → must be there; then `parse`. */
function optionalField<T>(field: string, mode: SignUpFieldMode, raw: string | undefined, parse: (value: string) => T, missing: string): T | null {
  if (mode === "hidden") return null;
  const value = (raw ?? "").trim();
  if (!value) {
    if (mode === "required") throw fieldError(field, missing);
    return null;
  }
  return parse(value);
}

function parseWith<T>(field: string, schema: z.ZodType<T>) {
  return (value: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw fieldError(field, parsed.error.issues[0]?.message ?? "Not valid.");
    return parsed.data;
  };
}

/**
 * Whether this address may sign up now, and with which instance invitation: the lists first (a refused address is
 * told so, whether or not it has an account), then the mode. A given invitation token must be pending and for this
 * address; in public mode a token is optional and a bad one is ignored.
 */
export async function requireSignUpAllowed(ctx: Context, settings: InstanceSettings, email: string, token: string | undefined): Promise<string | null> {
  if (checkAddressLists(settings, email) !== "allowed") throw addressRefused();
  const now = ctx.now();
  const invitation = token ? await findInstanceInvitationByToken(ctx.db, token) : null;
  if (settings.signUpMode === "public") {
    const usable = invitation && invitation.email === email && instanceInvitationStatus(invitation, now) === "pending";
    return usable ? invitation.id : null;
  }
  if (token) {
    if (!invitation) throw invitationUnusable("invalid");
    const status = instanceInvitationStatus(invitation, now);
    if (status !== "pending") throw invitationUnusable(status);
    if (invitation.email !== email) {
      throw new ApiError({ code: "FORBIDDEN", reason: "INVITATION_EMAIL_MISMATCH", field: "email", message: "email: This invitation is for another email address." });
    }
    return invitation.id;
  }
  if (await hasPendingOrganizationInvitation(ctx.db, email, now)) return null;
  throw signUpClosed(settings.signUpMode);
}

/**
 * Everything `auth.signUp` checks before hashing the password, under the settings as they are on this request: who
 * may sign up, the optional fields, the password's minimum length, and that the username is free.
 */
export async function prepareSignUp(ctx: Context, input: SignUpInput) {
  const settings = await getInstanceSettings(ctx.db);
  const instanceInvitationId = await requireSignUpAllowed(ctx, settings, input.email, input.invitation);
  const modes = settings.signUpFields;
  const firstName = optionalField("firstName", modes.firstName, input.firstName, parseWith("firstName", personNameSchema), "Enter your first name.");
  const lastName = optionalField("lastName", modes.lastName, input.lastName, parseWith("lastName", personNameSchema), "Enter your last name.");
  const username = optionalField("username", modes.username, input.username, parseWith("username", usernameSchema), "Choose a username.");
  const phone = optionalField("phone", modes.phone, input.phone, parseWith("phone", phoneSchema), "Enter your phone number.");
  const rules = checkPasswordPolicy(input.password, { minLength: settings.minPasswordLength });
  if (!rules.ok) throw fieldError("password", rules.message, rules.code);
  if (username && (await usernameInUse(ctx.db, username))) throw usernameTaken();
  return { settings, instanceInvitationId, firstName, lastName, username, phone };
}

/**
 * For a new account made by OAuth (oauth-flow.ts): whether the settings let this verified address sign up, and the
 * pending instance invitation to claim with it. Existing accounts sign in without this check. An enterprise SSO
 * sign-up (`viaSso`) is vouched for by its organization's verified domain, so only the lists apply to it.
 */
export async function checkOAuthSignUp(
  ctx: Context,
  email: string,
  viaSso: boolean,
): Promise<{ ok: true; instanceInvitationId: string | null } | { ok: false; error: ApiError }> {
  const settings = await getInstanceSettings(ctx.db);
  if (checkAddressLists(settings, email) !== "allowed") return { ok: false, error: addressRefused() };
  if (settings.signUpMode === "public" || viaSso) return { ok: true, instanceInvitationId: null };
  const now = ctx.now();
  const [invitation] = await ctx.db
    .select({ id: instanceInvitations.id })
    .from(instanceInvitations)
    .where(
      and(
        eq(instanceInvitations.email, email),
        isNull(instanceInvitations.acceptedAt),
        isNull(instanceInvitations.revokedAt),
        gt(instanceInvitations.expiresAt, now),
      ),
    )
    .orderBy(desc(instanceInvitations.createdAt))
    .limit(1);
  if (invitation) return { ok: true, instanceInvitationId: invitation.id };
  if (await hasPendingOrganizationInvitation(ctx.db, email, now)) return { ok: true, instanceInvitationId: null };
  return { ok: false, error: signUpClosed(settings.signUpMode) };
}

async function usernameInUse(db: Database, username: string): Promise<boolean> {
  const [row] = await db
    .select({ id: users.id })
    .from(users)
    .where(sql`lower(${users.username}) = ${username.toLowerCase()}`)
    .limit(1);
  return Boolean(row);
}

/** The unique constraint a Postgres error names (postgres.js: `constraint_name`, PGlite: `constraint`). */
export function violatedConstraint(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const named = (current as { constraint_name?: unknown; constraint?: unknown }).constraint_name ?? (current as { constraint?: unknown }).constraint;
    if (typeof named === "string") return named;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Inside the account-creating transaction: the settings again (a change since the sign-up started bites now), the
 * instance invitation claimed (single use), the username checked, the phone number kept as an unverified row.
 */
export async function admitNewAccount(ctx: Context, tx: Database, input: { email: string; username: string | null; instanceInvitationId: string | null }, now: Date) {
  const settings = await getInstanceSettings(tx);
  if (checkAddressLists(settings, input.email) !== "allowed") throw addressRefused();
  const invited = input.instanceInvitationId ? await claimInstanceInvitation(tx, input.instanceInvitationId, input.email, now) : false;
  if (settings.signUpMode !== "public" && !invited && !(await hasPendingOrganizationInvitation(tx, input.email, now))) {
    throw input.instanceInvitationId ? invitationUnusable("accepted") : signUpClosed(settings.signUpMode);
  }
  if (input.username && (await usernameInUse(tx, input.username))) throw usernameTaken();
  return { invited };
}

export async function writeSignUpPhone(tx: Database, userId: string, phone: string | null, now: Date) {
  if (phone) await tx.insert(phoneNumbers).values({ userId, phone, createdAt: now });
}
