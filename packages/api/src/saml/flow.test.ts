/**
 * SAML sign-in against real signed XML: responses are built and signed in the test (node-saml's signing, a key and
 * certificate generated per run), posted to `finishSaml` as the browser would, and checked against a real database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createId } from "@latchkey/db";
import { APP_URL, callerFor, countRows, createOrgWithMember, errorOf, signUp } from "../../test/helpers.ts";
import {
  buildAssertion,
  buildSamlResponse,
  createSigningPair,
  encodeSamlResponse,
  newSamlId,
  readAuthnRequest,
  startSamlIdp,
  type SamlResponseOptions,
  type SigningPair,
  type TestSamlIdp,
} from "../../test/saml-idp.ts";
import { findSsoConnectionForEmail } from "../oauth-flow.ts";
import { finishSaml, MAX_SAML_RESPONSE_CHARS, samlServiceProviderMetadata, samlServiceProviderUrls, startSaml } from "./flow.ts";

const db = useTestDb();
let idp: TestSamlIdp;
let strangerKey: SigningPair;

beforeAll(async () => {
  idp = await startSamlIdp();
  strangerKey = await createSigningPair("Not the configured IdP");
});

afterAll(async () => {
  await idp?.stop();
});

async function orgWithSaml(options: { allowIdpInitiated?: boolean } = {}) {
  const world = await createOrgWithMember(db(), "Saml");
  const domain = `corp-${Math.random().toString(36).slice(2, 9)}.test`;
  await db().query(
    `insert into organization_domains (id, organization_id, domain, verified_at) values ('${createId("domain")}', '${world.org.id}', '${domain}', now())`,
  );
  const admin = () => callerFor(db(), { token: world.admin.token, orgSlug: world.org.slug }).caller;
  const saved = await admin().saml.save({ metadataUrl: idp.metadataUrl, allowIdpInitiated: options.allowIdpInitiated ?? false });
  const sp = samlServiceProviderUrls(APP_URL, saved.id);
  return { ...world, domain, admin, connectionId: saved.id, sp };
}
type World = Awaited<ReturnType<typeof orgWithSaml>>;

/** SP-initiated start: the AuthnRequest id we stored, as the IdP reads it from the redirect URL. */
async function startAt(world: World, redirectUrl: string | null = null) {
  const { ctx } = callerFor(db());
  const { url } = await startSaml(ctx, { connectionId: world.connectionId, redirectUrl, loginHint: null });
  const parsed = new URL(url);
  expect(parsed.origin + parsed.pathname).toBe(idp.ssoUrl);
  const request = readAuthnRequest(parsed.searchParams.get("SAMLRequest")!);
  expect(request).toMatchObject({ acsUrl: world.sp.acsUrl, issuer: world.sp.entityId });
  return request!.id;
}

function responseFor(world: World, email: string, requestId: string | null, overrides: Partial<SamlResponseOptions> = {}): string {
  return buildSamlResponse({
    idpEntityId: idp.entityId,
    acsUrl: world.sp.acsUrl,
    audience: world.sp.entityId,
    nameId: email,
    attributes: { email, firstName: "Jane", lastName: "Doe" },
    inResponseTo: requestId,
    sign: "assertion",
    key: idp.key,
    ...overrides,
  });
}

async function post(world: World, xml: string | null, relayState: string | null = null) {
  const { ctx, resHeaders } = callerFor(db());
  const outcome = await finishSaml(ctx, { connectionId: world.connectionId, samlResponse: xml === null ? null : encodeSamlResponse(xml), relayState });
  return { outcome, resHeaders };
}

async function lastSamlRefusal() {
  const rows = await db().query<{ outcome: string; details: Record<string, unknown> }>(
    `select outcome, details from audit_events where action = 'saml.response' order by occurred_at desc, id desc limit 1`,
  );
  return rows[0];
}

/** Posts the XML, expects a refusal with `reason`, audited with `why`, and no session made. */
async function expectRefused(world: World, xml: string, reason: string, why: string) {
  const users = await countRows(db(), "users");
  const sessions = await countRows(db(), "sessions");
  const error = await errorOf(post(world, xml));
  expect(error.reason, error.message).toBe(reason);
  expect(error.code).not.toBe("INTERNAL_SERVER_ERROR");
  expect(await lastSamlRefusal()).toMatchObject({ outcome: "failure", details: { why, connectionId: world.connectionId } });
  expect(await countRows(db(), "users")).toBe(users);
  expect(await countRows(db(), "sessions")).toBe(sessions);
}

const emailAt = (world: World, label = "jane") => `${label}-${Math.random().toString(36).slice(2, 7)}@${world.domain}`;

describe("SAML sign-in that succeeds", () => {
  it("signs a new user up from a signed assertion, joins the organization as a member and links the next sign-in to the same user", async () => {
    const world = await orgWithSaml();
    const email = emailAt(world);
    expect(await findSsoConnectionForEmail(db().db, email)).toMatchObject({ connectionId: world.connectionId, organizationId: world.org.id });
    const first = await post(world, responseFor(world, email, await startAt(world, "/org/somewhere")));
    expect(first.outcome).toMatchObject({ status: "signed_in", created: true, redirectUrl: "/org/somewhere" });
    const [membership] = await db().query<{ role_keys: string[] }>(
      `select role_keys from memberships where organization_id = '${world.org.id}' and user_id = '${first.outcome.userId}'`,
    );
    expect(membership?.role_keys).toEqual(["org:member"]);
    const [user] = await db().query<{ first_name: string; last_name: string }>(`select first_name, last_name from users where id = '${first.outcome.userId}'`);
    expect(user).toEqual({ first_name: "Jane", last_name: "Doe" });
    const second = await post(world, responseFor(world, email, await startAt(world)));
    expect(second.outcome).toMatchObject({ status: "signed_in", created: false, userId: first.outcome.userId });
    const identities = await db().query<{ provider: string }>(`select provider from oauth_accounts where user_id = '${first.outcome.userId}'`);
    expect(identities).toEqual([{ provider: world.connectionId }]);
  });

  it("accepts a signed response that covers an unsigned assertion", async () => {
    const world = await orgWithSaml();
    const { outcome } = await post(world, responseFor(world, emailAt(world), await startAt(world), { sign: "response" }));
    expect(outcome.status).toBe("signed_in");
  });

  it("links an existing verified account at the domain to its first SAML sign-in", async () => {
    const world = await orgWithSaml();
    const existing = await signUp(db(), emailAt(world, "existing"));
    const { outcome } = await post(world, responseFor(world, existing.email, await startAt(world)));
    expect(outcome).toMatchObject({ status: "signed_in", userId: existing.userId, created: false });
  });

  it("accepts any of several configured certificates (rotation)", async () => {
    const world = await orgWithSaml();
    const certificates = JSON.stringify([strangerKey.certificate, idp.key.certificate]);
    await db().query(`update saml_connections set idp_certificates = '${certificates}'::jsonb where id = '${world.connectionId}'`);
    const { outcome } = await post(world, responseFor(world, emailAt(world), await startAt(world)));
    expect(outcome.status).toBe("signed_in");
  });

  it("takes an IdP-initiated response only when the connection allows it, with RelayState kept to safe local paths", async () => {
    const world = await orgWithSaml({ allowIdpInitiated: true });
    const ok = await post(world, responseFor(world, emailAt(world), null), "/org/x/members");
    expect(ok.outcome).toMatchObject({ status: "signed_in", redirectUrl: "/org/x/members" });
    const elsewhere = await post(world, responseFor(world, emailAt(world), null), "https://evil.example/steal");
    expect(elsewhere.outcome.redirectUrl).toBe("/");
    const protocolRelative = await post(world, responseFor(world, emailAt(world), null), "//evil.example");
    expect(protocolRelative.outcome.redirectUrl).toBe("/");
  });

  it("serves our service provider metadata with the entity id and the ACS URL", async () => {
    const world = await orgWithSaml();
    const xml = await samlServiceProviderMetadata({ db: db().db, appUrl: APP_URL }, world.connectionId);
    expect(xml).toContain(`entityID="${world.sp.entityId}"`);
    expect(xml).toContain(`Location="${world.sp.acsUrl}"`);
    expect(await samlServiceProviderMetadata({ db: db().db, appUrl: APP_URL }, "saml_doesnotexist")).toBeNull();
  });
});

describe("SAML responses that are refused", () => {
  it("refuses a response where neither the response nor the assertion is signed", async () => {
    const world = await orgWithSaml();
    await expectRefused(world, responseFor(world, emailAt(world), await startAt(world), { sign: "none" }), "SAML_RESPONSE_INVALID", "signature_invalid");
  });

  it("refuses a signed assertion followed by a second, unsigned assertion (signature wrapping)", async () => {
    const world = await orgWithSaml();
    const requestId = await startAt(world);
    const signed = responseFor(world, emailAt(world), requestId);
    const evil = buildAssertion({ idpEntityId: idp.entityId, acsUrl: world.sp.acsUrl, audience: world.sp.entityId, nameId: `ceo@${world.domain}`, attributes: { email: `ceo@${world.domain}` }, inResponseTo: requestId });
    await expectRefused(world, signed.replace("</samlp:Response>", `${evil}</samlp:Response>`), "SAML_RESPONSE_INVALID", "multiple_assertions");
  });

  it("refuses a signed assertion moved out of place with an unsigned one where it was (signature wrapping)", async () => {
    const world = await orgWithSaml();
    const requestId = await startAt(world);
    const signed = responseFor(world, emailAt(world), requestId);
    const signedAssertion = signed.slice(signed.indexOf("<saml:Assertion"), signed.indexOf("</saml:Assertion>") + "</saml:Assertion>".length);
    const evil = buildAssertion({ idpEntityId: idp.entityId, acsUrl: world.sp.acsUrl, audience: world.sp.entityId, nameId: `ceo@${world.domain}`, attributes: { email: `ceo@${world.domain}` }, inResponseTo: requestId });
    // The signed assertion hides in an Extensions element; the unsigned one takes its place as the response's child.
    const moved = signed.replace(signedAssertion, `<samlp:Extensions>${signedAssertion}</samlp:Extensions>${evil}`);
    await expectRefused(world, moved, "SAML_RESPONSE_INVALID", "signature_invalid");
  });

  it("refuses an assertion signed with a certificate the connection does not have", async () => {
    const world = await orgWithSaml();
    await expectRefused(world, responseFor(world, emailAt(world), await startAt(world), { key: strangerKey }), "SAML_RESPONSE_INVALID", "signature_invalid");
  });

  it("refuses a signed assertion whose content was changed after signing", async () => {
    const world = await orgWithSaml();
    const email = emailAt(world);
    const tampered = responseFor(world, email, await startAt(world)).replaceAll(email, `ceo@${world.domain}`);
    await expectRefused(world, tampered, "SAML_RESPONSE_INVALID", "signature_invalid");
  });

  it("refuses an assertion for another audience", async () => {
    const world = await orgWithSaml();
    await expectRefused(world, responseFor(world, emailAt(world), await startAt(world), { audience: "https://other-sp.example/metadata" }), "SAML_RESPONSE_INVALID", "audience_mismatch");
  });

  it("refuses a Recipient that is not our ACS URL", async () => {
    const world = await orgWithSaml();
    await expectRefused(world, responseFor(world, emailAt(world), await startAt(world), { recipient: "https://other-sp.example/acs" }), "SAML_RESPONSE_INVALID", "recipient_mismatch");
  });

  it("refuses a Destination that is not our ACS URL", async () => {
    const world = await orgWithSaml();
    await expectRefused(world, responseFor(world, emailAt(world), await startAt(world), { destination: "https://other-sp.example/acs", sign: "both" }), "SAML_RESPONSE_INVALID", "destination_mismatch");
  });

  it("refuses an InResponseTo we never issued", async () => {
    const world = await orgWithSaml();
    await expectRefused(world, responseFor(world, emailAt(world), newSamlId()), "SAML_REQUEST_UNKNOWN", "in_response_to_invalid");
  });

  it("refuses an InResponseTo issued for another connection", async () => {
    const world = await orgWithSaml();
    const other = await orgWithSaml();
    await expectRefused(world, responseFor(world, emailAt(world), await startAt(other)), "SAML_REQUEST_UNKNOWN", "in_response_to_invalid");
  });

  it("refuses a second answer to a request already answered, even with a fresh assertion", async () => {
    const world = await orgWithSaml();
    const requestId = await startAt(world);
    const email = emailAt(world);
    expect((await post(world, responseFor(world, email, requestId))).outcome.status).toBe("signed_in");
    await expectRefused(world, responseFor(world, email, requestId), "SAML_REQUEST_UNKNOWN", "in_response_to_invalid");
  });

  it("lets only one of two concurrent posts of the same answer sign in", async () => {
    const world = await orgWithSaml();
    const xml = responseFor(world, emailAt(world), await startAt(world));
    const results = await Promise.allSettled([post(world, xml), post(world, xml)]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });

  it("refuses a replayed assertion id", async () => {
    const world = await orgWithSaml({ allowIdpInitiated: true });
    const xml = responseFor(world, emailAt(world), null, { assertionId: newSamlId() });
    expect((await post(world, xml)).outcome.status).toBe("signed_in");
    await expectRefused(world, xml, "SAML_REQUEST_UNKNOWN", "assertion_replayed");
  });

  it("refuses an unsolicited (IdP-initiated) response while the connection does not allow it, which is the default", async () => {
    const world = await orgWithSaml();
    await expectRefused(world, responseFor(world, emailAt(world), null), "SAML_IDP_INITIATED_DISABLED", "unsolicited_response");
  });

  it("refuses an expired assertion, and accepts one that expired within the allowed clock skew", async () => {
    const world = await orgWithSaml();
    const past = Date.now() - 5 * 60_000;
    await expectRefused(world, responseFor(world, emailAt(world), await startAt(world), { notBefore: past - 60_000, notOnOrAfter: past }), "SAML_RESPONSE_EXPIRED", "subject_confirmation_expired");
    // Only the Conditions expired (the subject confirmation is still fresh): refused by the Conditions check.
    const conditionsOnly = { notBefore: past - 60_000, notOnOrAfter: past, subjectNotOnOrAfter: Date.now() + 60_000 };
    await expectRefused(world, responseFor(world, emailAt(world), await startAt(world), conditionsOnly), "SAML_RESPONSE_EXPIRED", "expired");
    const justNow = Date.now() - 20_000;
    const { outcome } = await post(world, responseFor(world, emailAt(world), await startAt(world), { notBefore: justNow - 60_000, notOnOrAfter: justNow }));
    expect(outcome.status).toBe("signed_in");
  });

  it("refuses an assertion whose NotBefore is in the future beyond the skew", async () => {
    const world = await orgWithSaml();
    const later = Date.now() + 10 * 60_000;
    await expectRefused(world, responseFor(world, emailAt(world), await startAt(world), { notBefore: later, notOnOrAfter: later + 5 * 60_000 }), "SAML_RESPONSE_EXPIRED", "not_yet_valid");
  });

  it("refuses an address outside the organization's verified domains, so the IdP can't take over other accounts", async () => {
    const world = await orgWithSaml();
    const victim = await signUp(db());
    const error = await errorOf(post(world, responseFor(world, victim.email, await startAt(world))));
    expect(error.reason).toBe("OAUTH_EMAIL_DOMAIN_MISMATCH");
    expect(await lastSamlRefusal()).toMatchObject({ details: { why: "sso_email_outside_domains" } });
    expect(await db().query(`select id from oauth_accounts where user_id = '${victim.userId}'`)).toHaveLength(0);
  });

  it("reads a NameID with an injected comment as the whole signed value, so `ceo@corp<!---->.attacker.test` is refused as outside the domains", async () => {
    const world = await orgWithSaml();
    const ceo = await signUp(db(), `ceo@${world.domain}`);
    const requestId = await startAt(world);
    // The IdP signs `ceo@corp.test.attacker.test` (comments are not part of the canonical form); a reader that stops
    // at the first text node would see `ceo@corp.test` and sign in as the CEO.
    const xml = responseFor(world, "", requestId, { nameIdXml: `ceo@${world.domain}<!---->.attacker.test`, attributes: {} });
    await expectRefused(world, xml, "OAUTH_EMAIL_DOMAIN_MISMATCH", "sso_email_outside_domains");
    expect(await db().query(`select id from oauth_accounts where user_id = '${ceo.userId}'`)).toHaveLength(0);
  });

  it("refuses a response with a DTD or an external entity before parsing it", async () => {
    const world = await orgWithSaml();
    const xml = responseFor(world, emailAt(world), await startAt(world));
    const withEntity = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${xml}`;
    await expectRefused(world, withEntity, "SAML_RESPONSE_INVALID", "doctype");
  });

  it("refuses an oversized response before decoding it, and a missing one", async () => {
    const world = await orgWithSaml();
    const { ctx } = callerFor(db());
    const huge = await errorOf(finishSaml(ctx, { connectionId: world.connectionId, samlResponse: "A".repeat(MAX_SAML_RESPONSE_CHARS + 4), relayState: null }));
    expect(huge).toMatchObject({ code: "BAD_REQUEST", reason: "SAML_RESPONSE_TOO_LARGE" });
    expect(await lastSamlRefusal()).toMatchObject({ details: { why: "response_too_large" } });
    await expectRefused(world, "", "SAML_RESPONSE_INVALID", "response_missing");
  });

  it("refuses responses for an unknown or disabled connection", async () => {
    const world = await orgWithSaml();
    const xml = responseFor(world, emailAt(world), await startAt(world));
    await world.admin().saml.setEnabled({ enabled: false });
    await expectRefused(world, xml, "OAUTH_UNKNOWN_PROVIDER", "connection_unknown");
    expect(await findSsoConnectionForEmail(db().db, emailAt(world))).toBeNull();
    const { ctx } = callerFor(db());
    expect((await errorOf(startSaml(ctx, { connectionId: world.connectionId }))).reason).toBe("OAUTH_UNKNOWN_PROVIDER");
  });

  it("refuses an assertion issued by another entity id even when signed with the configured key", async () => {
    const world = await orgWithSaml();
    await expectRefused(world, responseFor(world, emailAt(world), await startAt(world), { idpEntityId: "https://impostor.example/idp" }), "SAML_RESPONSE_INVALID", "issuer_mismatch");
  });

  it("respects the membership limit when joining just in time", async () => {
    const world = await orgWithSaml();
    await db().query(`update organizations set max_memberships = 2 where id = '${world.org.id}'`);
    const users = await countRows(db(), "users");
    const error = await errorOf(post(world, responseFor(world, emailAt(world), await startAt(world))));
    expect(error.reason).toBe("MEMBERSHIP_LIMIT_REACHED");
    expect(await countRows(db(), "users")).toBe(users);
  });
});
