/**
 * saml: SAML 2.0 sign-in per organization (ADR 025). `startSaml` records an AuthnRequest id and returns the IdP's
 * HTTP-Redirect URL; `finishSaml` is the assertion consumer service (ACS): node-saml checks the XML signature against
 * the connection's certificates (a signed response covering the assertion, or a signed assertion; one assertion
 * only), the audience, NotBefore/NotOnOrAfter with a small skew and InResponseTo against our stored requests. We then
 * check what it leaves to the caller — the assertion's issuer, Recipient and the response's Destination, single use of
 * the request id and of the assertion id, no comments in the signed assertion — and sign in through the same code as
 * OpenID SSO (signInWithIdentity: the verified-domain check, linking rules, just-in-time membership). Nothing here
 * parses or verifies a signature by hand.
 */
import { randomBytes } from "node:crypto";
import { and, eq, lt } from "drizzle-orm";
import { generateServiceProviderMetadata, SAML, SamlStatusError, ValidateInResponseTo, type CacheProvider, type Profile } from "@node-saml/node-saml";
import { samlAssertions, samlConnections, samlRequests, type SamlConnection } from "@latchkey/db";
import { defineRateLimit, getSafeRedirect, MINUTE, type OAuthProfile } from "@latchkey/auth";
import type { Context } from "../context.ts";
import { ApiError } from "../errors.ts";
import type { ErrorReason } from "../error-codes.ts";
import { recordAuditEvent } from "../audit.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { requireSignInMethod } from "../sign-in-policy.ts";
import { signInWithIdentity, type OAuthOutcome } from "../oauth-flow.ts";
import { readAttribute } from "./attributes.ts";
import { hasDoctype, parseXmlStrictly } from "./idp-metadata.ts";

export const SAML_REQUEST_TTL_MS = 10 * MINUTE;
/** How far the IdP's clock may be off for NotBefore / NotOnOrAfter. */
export const SAML_CLOCK_SKEW_MS = 60_000;
/** The base64 SAMLResponse field: larger answers are refused before they are decoded. */
export const MAX_SAML_RESPONSE_CHARS = 256 * 1024;
/** An assertion id is remembered at least this long, or until its NotOnOrAfter when later (at most a day). */
const MIN_REPLAY_WINDOW_MS = 10 * MINUTE;
const MAX_REPLAY_WINDOW_MS = 24 * 60 * MINUTE;
const startsPerIp = defineRateLimit("saml:start:ip", 60, 15 * MINUTE);
const responsesPerIp = defineRateLimit("saml:acs:ip", 60, 15 * MINUTE);
const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

/** Our side of a connection: the entity id (also the metadata URL) and the ACS URL, one pair per connection. */
export function samlServiceProviderUrls(appUrl: string, connectionId: string) {
  const base = `${appUrl}/sign-in/saml/${encodeURIComponent(connectionId)}`;
  return { entityId: `${base}/metadata`, metadataUrl: `${base}/metadata`, acsUrl: `${base}/acs` };
}

function refused(reason: ErrorReason, message: string, code: "BAD_REQUEST" | "FORBIDDEN" | "NOT_FOUND" = "FORBIDDEN"): ApiError {
  return new ApiError({ code, reason, message });
}

/** InResponseTo lookups for node-saml, read from `saml_requests`; using one up is done by us, atomically (consume). */
function requestStore(ctx: Context, connectionId: string): CacheProvider {
  return {
    saveAsync: async () => null, // startSaml writes the row itself, with the redirect
    getAsync: async (key) => {
      if (typeof key !== "string" || key.length > 128) return null;
      const [row] = await ctx.db
        .select({ createdAt: samlRequests.createdAt, expiresAt: samlRequests.expiresAt })
        .from(samlRequests)
        .where(and(eq(samlRequests.id, key), eq(samlRequests.connectionId, connectionId)));
      if (!row || row.expiresAt.getTime() <= ctx.now().getTime()) return null;
      return row.createdAt.toISOString();
    },
    removeAsync: async () => null,
  };
}

function buildSaml(ctx: Context, connection: SamlConnection, generateUniqueId?: () => string): SAML {
  const sp = samlServiceProviderUrls(ctx.appUrl, connection.id);
  return new SAML({
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    audience: sp.entityId,
    entryPoint: connection.idpSsoUrl,
    idpCert: connection.idpCertificates,
    idpIssuer: connection.idpEntityId,
    // Either a signed response that covers the assertion or a signed assertion: node-saml refuses anything else.
    wantAssertionsSigned: false,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: SAML_CLOCK_SKEW_MS,
    validateInResponseTo: connection.allowIdpInitiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: SAML_REQUEST_TTL_MS,
    cacheProvider: requestStore(ctx, connection.id),
    identifierFormat: null,
    // Entra ID refuses a sign-in with MFA when the request asks for the password context only.
    disableRequestedAuthnContext: true,
    signatureAlgorithm: "sha256",
    ...(generateUniqueId ? { generateUniqueId } : {}),
  });
}

async function findConnection(ctx: Context, connectionId: string): Promise<SamlConnection | null> {
  if (!/^saml_[a-z0-9]{1,40}$/.test(connectionId)) return null;
  const [connection] = await ctx.db.select().from(samlConnections).where(eq(samlConnections.id, connectionId));
  return connection && connection.enabled ? connection : null;
}

export interface StartSamlInput {
  connectionId: string;
  redirectUrl?: string | null;
  /** The address typed on /sign-in; sent as `login_hint` (Entra ID reads it, others ignore it). */
  loginHint?: string | null;
}

/** Records an AuthnRequest id (single use, 10 minutes) with the safe redirect, and returns the IdP's URL. */
export async function startSaml(ctx: Context, input: StartSamlInput): Promise<{ url: string }> {
  if (ctx.ip) await enforceRateLimit(ctx, startsPerIp, `ip:${ctx.ip}`);
  await requireSignInMethod(ctx, "oauth");
  const connection = await findConnection(ctx, input.connectionId);
  if (!connection) throw refused("OAUTH_UNKNOWN_PROVIDER", "That sign-in provider is not available.", "NOT_FOUND");
  const now = ctx.now();
  // An NCName: starts with a letter or underscore.
  const id = `_${randomBytes(20).toString("hex")}`;
  await ctx.db.transaction(async (tx) => {
    await tx.delete(samlRequests).where(lt(samlRequests.expiresAt, now));
    await tx.insert(samlRequests).values({
      id,
      connectionId: connection.id,
      redirectUrl: getSafeRedirect(input.redirectUrl ?? null, "/"),
      expiresAt: new Date(now.getTime() + SAML_REQUEST_TTL_MS),
      createdAt: now,
    });
  });
  const saml = buildSaml(ctx, connection, () => id);
  const hint = input.loginHint?.trim().slice(0, 320);
  const url = await saml.getAuthorizeUrlAsync("", undefined, hint ? { additionalParams: { login_hint: hint } } : {});
  return { url };
}

export interface FinishSamlInput {
  connectionId: string;
  /** The posted `SAMLResponse` (base64), as received. */
  samlResponse: string | null;
  relayState: string | null;
}

/** Sorts node-saml's refusal messages into the reasons we audit; the user sees one clear message per kind. */
export function classifySamlError(error: unknown): { why: string; reason: ErrorReason } {
  if (error instanceof SamlStatusError) return { why: "idp_status_error", reason: "SAML_RESPONSE_INVALID" };
  const message = error instanceof Error ? error.message : "";
  if (/InResponseTo is missing/i.test(message)) return { why: "unsolicited_response", reason: "SAML_IDP_INITIATED_DISABLED" };
  if (/InResponseTo/i.test(message)) return { why: "in_response_to_invalid", reason: "SAML_REQUEST_UNKNOWN" };
  if (/multiple assertions/i.test(message)) return { why: "multiple_assertions", reason: "SAML_RESPONSE_INVALID" };
  if (/signature/i.test(message)) return { why: "signature_invalid", reason: "SAML_RESPONSE_INVALID" };
  if (/expired/i.test(message)) return { why: "expired", reason: "SAML_RESPONSE_EXPIRED" };
  if (/not yet valid/i.test(message)) return { why: "not_yet_valid", reason: "SAML_RESPONSE_EXPIRED" };
  if (/audience/i.test(message)) return { why: "audience_mismatch", reason: "SAML_RESPONSE_INVALID" };
  // node-saml only looks at the confirmation's NotBefore/NotOnOrAfter when it finds none valid.
  if (/subject confirmation/i.test(message)) return { why: "subject_confirmation_expired", reason: "SAML_RESPONSE_EXPIRED" };
  return { why: "response_invalid", reason: "SAML_RESPONSE_INVALID" };
}

type XmlJs = Record<string, unknown> & { $?: Record<string, string>; _?: string };
const children = (node: unknown, name: string): XmlJs[] =>
  node && typeof node === "object" && Array.isArray((node as Record<string, unknown>)[name]) ? ((node as Record<string, unknown>)[name] as XmlJs[]) : [];

/** The signed assertion's facts node-saml does not check for us. */
function readAssertion(profile: Profile) {
  const assertion = (profile.getAssertion?.() as { Assertion?: XmlJs } | undefined)?.Assertion;
  const id = assertion?.$?.ID ?? "";
  const conditions = children(assertion, "Conditions")[0];
  const confirmations = children(children(assertion, "Subject")[0], "SubjectConfirmation");
  const recipients = confirmations
    .filter((confirmation) => confirmation.$?.Method === BEARER)
    .flatMap((confirmation) => children(confirmation, "SubjectConfirmationData"))
    .map((data) => data.$?.Recipient ?? null);
  return { id, notOnOrAfter: conditions?.$?.NotOnOrAfter ?? null, recipients };
}

/** The Response's Destination (the signed response's, or the envelope's when only the assertion is signed). */
function readDestination(profile: Profile): string | null {
  const xml = profile.getSamlResponseXml?.() ?? "";
  const root = parseXmlStrictly(xml).documentElement;
  return root.getAttribute("Destination") || null;
}

const emailShape = /^[^\s@<>()",;:]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$/;

/**
 * The ACS. Every refusal is audited as `saml.response` with why (never the XML) and thrown as an ApiError whose
 * reason the error page turns into a localized message.
 */
export async function finishSaml(ctx: Context, input: FinishSamlInput): Promise<OAuthOutcome> {
  const connectionRef = input.connectionId.slice(0, 64);
  const fail = async (reason: ErrorReason, why: string, message: string, extra: Record<string, unknown> = {}): Promise<never> => {
    await recordAuditEvent(ctx, {
      action: "saml.response",
      outcome: "failure",
      details: { connectionId: connectionRef, why, ...extra },
    });
    throw refused(reason, message, reason === "SAML_RESPONSE_TOO_LARGE" ? "BAD_REQUEST" : "FORBIDDEN");
  };
  if (ctx.ip) await enforceRateLimit(ctx, responsesPerIp, `ip:${ctx.ip}`);
  const connection = await findConnection(ctx, input.connectionId);
  if (!connection) return fail("OAUTH_UNKNOWN_PROVIDER", "connection_unknown", "That sign-in provider is not available.");
  await requireSignInMethod(ctx, "oauth");
  const invalid = "Your organization's identity provider sent an answer that can't be accepted.";

  const encoded = input.samlResponse ?? "";
  if (!encoded) return fail("SAML_RESPONSE_INVALID", "response_missing", invalid);
  if (encoded.length > MAX_SAML_RESPONSE_CHARS) return fail("SAML_RESPONSE_TOO_LARGE", "response_too_large", invalid);
  if (!/^[A-Za-z0-9+/=\s]+$/.test(encoded)) return fail("SAML_RESPONSE_INVALID", "response_not_base64", invalid);
  const xml = Buffer.from(encoded, "base64").toString("utf8");
  // A DTD can declare entities (billion laughs, external files): refused before any parser sees the document.
  if (hasDoctype(xml)) return fail("SAML_RESPONSE_INVALID", "doctype", invalid);

  const saml = buildSaml(ctx, connection);
  let profile: Profile | null;
  try {
    ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: encoded }));
  } catch (error) {
    const { why, reason } = classifySamlError(error);
    const inResponseTo = (() => {
      try {
        return parseXmlStrictly(xml).documentElement.getAttribute("InResponseTo");
      } catch {
        return null;
      }
    })();
    // A request id that was answered with something we refused is used up as well.
    if (inResponseTo) await ctx.db.delete(samlRequests).where(and(eq(samlRequests.id, inResponseTo.slice(0, 128)), eq(samlRequests.connectionId, connection.id)));
    return fail(reason, why, reason === "SAML_RESPONSE_EXPIRED" ? "The answer from your identity provider has expired. Start again." : invalid);
  }
  if (!profile) return fail("SAML_RESPONSE_INVALID", "no_profile", invalid);

  const now = ctx.now();
  // InResponseTo: used up here, in the statement that reads it (two posts of one answer: one wins).
  const inResponseTo = typeof profile.inResponseTo === "string" ? profile.inResponseTo : null;
  let redirectUrl = getSafeRedirect(input.relayState, "/");
  if (inResponseTo) {
    const [request] = await ctx.db
      .delete(samlRequests)
      .where(and(eq(samlRequests.id, inResponseTo), eq(samlRequests.connectionId, connection.id)))
      .returning({ redirectUrl: samlRequests.redirectUrl, expiresAt: samlRequests.expiresAt });
    if (!request || request.expiresAt.getTime() <= now.getTime())
      return fail("SAML_REQUEST_UNKNOWN", "in_response_to_used", "This sign-in was already used or has expired. Start again.");
    redirectUrl = getSafeRedirect(request.redirectUrl, "/");
  } else if (!connection.allowIdpInitiated) {
    return fail("SAML_IDP_INITIATED_DISABLED", "unsolicited_response", "Start signing in from this site, not from your identity provider.");
  }

  if (profile.issuer !== connection.idpEntityId) return fail("SAML_RESPONSE_INVALID", "issuer_mismatch", invalid);
  const assertionXml = profile.getAssertionXml?.() ?? "";
  // node-saml hands back the canonical form that was signed, where comments are gone and `a@corp<!---->.evil` reads as
  // one value. Should a comment ever reach us here, the assertion is refused rather than read.
  if (assertionXml.includes("<!--")) return fail("SAML_RESPONSE_INVALID", "comment_in_assertion", invalid);
  const { acsUrl } = samlServiceProviderUrls(ctx.appUrl, connection.id);
  const facts = readAssertion(profile);
  if (facts.recipients.length === 0 || facts.recipients.some((recipient) => recipient !== acsUrl))
    return fail("SAML_RESPONSE_INVALID", "recipient_mismatch", invalid);
  let destination: string | null;
  try {
    destination = readDestination(profile);
  } catch {
    return fail("SAML_RESPONSE_INVALID", "response_malformed", invalid);
  }
  if (destination !== null && destination !== acsUrl) return fail("SAML_RESPONSE_INVALID", "destination_mismatch", invalid);
  if (!facts.id || facts.id.length > 256) return fail("SAML_RESPONSE_INVALID", "assertion_id_missing", invalid);

  // Replay: an assertion id is accepted once per connection, remembered past its own expiry.
  const notOnOrAfter = facts.notOnOrAfter ? Date.parse(facts.notOnOrAfter) : Number.NaN;
  const keepUntil = Math.min(
    Math.max(Number.isFinite(notOnOrAfter) ? notOnOrAfter + SAML_CLOCK_SKEW_MS : 0, now.getTime() + MIN_REPLAY_WINDOW_MS),
    now.getTime() + MAX_REPLAY_WINDOW_MS,
  );
  await ctx.db.delete(samlAssertions).where(lt(samlAssertions.expiresAt, now));
  const [recorded] = await ctx.db
    .insert(samlAssertions)
    .values({ connectionId: connection.id, assertionId: facts.id, expiresAt: new Date(keepUntil), createdAt: now })
    .onConflictDoNothing()
    .returning({ assertionId: samlAssertions.assertionId });
  if (!recorded) return fail("SAML_REQUEST_UNKNOWN", "assertion_replayed", "This sign-in was already used or has expired. Start again.");

  const attributes = profile.attributes as Record<string, unknown> | undefined;
  const nameId = typeof profile.nameID === "string" ? profile.nameID.trim() : "";
  const fromAttribute = readAttribute(attributes, connection.emailAttribute);
  const email = (fromAttribute ?? (nameId.includes("@") ? nameId : "")).toLowerCase();
  if (!email || email.length > 320 || !emailShape.test(email))
    return fail("OAUTH_EMAIL_UNVERIFIED", "email_missing", "Your identity provider did not send an email address.");
  // A transient NameID changes every time; the address is then the stable key (it is within the verified domains).
  const subject = nameId && profile.nameIDFormat !== TRANSIENT ? nameId : email;
  const samlProfile: OAuthProfile = {
    providerUserId: subject.slice(0, 512),
    email,
    // The connection speaks for its organization's verified domains only; signInWithIdentity refuses the rest.
    emailVerified: true,
    firstName: readAttribute(attributes, connection.firstNameAttribute)?.slice(0, 100) ?? null,
    lastName: readAttribute(attributes, connection.lastNameAttribute)?.slice(0, 100) ?? null,
    username: null,
    imageUrl: null,
  };
  return signInWithIdentity(ctx, {
    provider: connection.id,
    profile: samlProfile,
    tokens: { accessToken: null, refreshToken: null, expiresAt: null, scopes: [], idToken: null },
    ssoOrganizationId: connection.organizationId,
    redirectUrl,
    fail,
  });
}

/**
 * Our service provider's metadata for one connection (entity id, ACS URL with the HTTP-POST binding, signed
 * assertions wanted), served at the entity id URL for the IdP to read or the admin to download. Null when unknown.
 */
export async function samlServiceProviderMetadata(ctx: Pick<Context, "db" | "appUrl">, connectionId: string): Promise<string | null> {
  if (!/^saml_[a-z0-9]{1,40}$/.test(connectionId)) return null;
  const [connection] = await ctx.db.select({ id: samlConnections.id }).from(samlConnections).where(eq(samlConnections.id, connectionId));
  if (!connection) return null;
  const sp = samlServiceProviderUrls(ctx.appUrl, connection.id);
  return generateServiceProviderMetadata({
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    identifierFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    wantAssertionsSigned: true,
  });
}
