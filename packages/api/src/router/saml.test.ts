import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createId } from "@latchkey/db";
import { APP_URL, callerFor, countRows, createOrgWithMember, errorOf } from "../../test/helpers.ts";
import { createSigningPair, startSamlIdp, type TestSamlIdp } from "../../test/saml-idp.ts";
import { attributePresets } from "../saml/attributes.ts";

const db = useTestDb();
let idp: TestSamlIdp;

beforeAll(async () => {
  idp = await startSamlIdp();
});

afterAll(async () => {
  await idp?.stop();
});

async function world() {
  const base = await createOrgWithMember(db(), "SamlAdmin");
  const domain = `corp-${Math.random().toString(36).slice(2, 9)}.test`;
  await db().query(
    `insert into organization_domains (id, organization_id, domain, verified_at) values ('${createId("domain")}', '${base.org.id}', '${domain}', now())`,
  );
  const admin = () => callerFor(db(), { token: base.admin.token, orgSlug: base.org.slug }).caller;
  const member = () => callerFor(db(), { token: base.member.token, orgSlug: base.org.slug }).caller;
  return { ...base, adminUser: base.admin, domain, admin, member };
}

async function metadataXml(): Promise<string> {
  return (await fetch(idp.metadataUrl)).text();
}

async function lastAudit(action: string) {
  const rows = await db().query<{ outcome: string; details: Record<string, unknown> }>(
    `select outcome, details from audit_events where action = '${action}' order by occurred_at desc, id desc limit 1`,
  );
  return rows[0];
}

describe("saml connection procedures", () => {
  it("saves a connection from the IdP's metadata URL and shows our entity id, ACS and metadata URLs", async () => {
    const w = await world();
    const saved = await w.admin().saml.save({ metadataUrl: idp.metadataUrl });
    expect(saved).toMatchObject({ idpEntityId: idp.entityId, emailAttribute: "email", allowIdpInitiated: false });
    const read = await w.admin().saml.connection();
    expect(read.connection).toMatchObject({ idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, metadataUrl: idp.metadataUrl, enabled: true, allowIdpInitiated: false });
    expect(read.connection?.idpCertificates).toHaveLength(1);
    expect(read.serviceProvider).toEqual({
      entityId: `${APP_URL}/sign-in/saml/${saved.id}/metadata`,
      metadataUrl: `${APP_URL}/sign-in/saml/${saved.id}/metadata`,
      acsUrl: `${APP_URL}/sign-in/saml/${saved.id}/acs`,
    });
    expect(read.verifiedDomains).toEqual([w.domain]);
    expect(await lastAudit("saml_connection.created")).toMatchObject({ outcome: "success", details: { idpEntityId: idp.entityId } });
  });

  it("saves from uploaded XML, applies a preset, and keeps the IdP settings when only the mapping changes", async () => {
    const w = await world();
    await w.admin().saml.save({ metadataXml: await metadataXml(), preset: "entra", allowIdpInitiated: true });
    let read = await w.admin().saml.connection();
    expect(read.connection).toMatchObject({ ...attributePresets.entra, metadataUrl: null, allowIdpInitiated: true });
    await w.admin().saml.save({ emailAttribute: "mail", allowIdpInitiated: false });
    read = await w.admin().saml.connection();
    expect(read.connection).toMatchObject({ emailAttribute: "mail", firstNameAttribute: attributePresets.entra.firstNameAttribute, idpEntityId: idp.entityId, allowIdpInitiated: false });
  });

  it("takes several signing certificates from the metadata for rotation", async () => {
    const w = await world();
    const next = await createSigningPair("next");
    const body = next.certificate.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, "");
    const xml = (await metadataXml()).replace(
      "<md:NameIDFormat>",
      `<md:KeyDescriptor><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${body}AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:NameIDFormat>`,
    );
    await w.admin().saml.save({ metadataXml: xml });
    expect((await w.admin().saml.connection()).connection?.idpCertificates).toHaveLength(2);
  });

  it("refuses bad metadata naming the field and saving nothing", async () => {
    const w = await world();
    const before = await countRows(db(), "saml_connections");
    const cases: [Record<string, unknown>, string][] = [
      [{}, "metadataUrl"],
      [{ metadataUrl: `${idp.origin}/nowhere` }, "metadataUrl"],
      [{ metadataUrl: "http://idp.example.com/metadata" }, "metadataUrl"],
      [{ metadataXml: "not xml at all <" }, "metadataXml"],
      [{ metadataXml: `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&e;"/>` }, "metadataXml"],
      [{ metadataXml: (await metadataXml()).replace(/<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/, "") }, "metadataXml"],
      [{ metadataXml: (await metadataXml()).replace(/Location="[^"]+"/, 'Location="ftp://idp.example/sso"') }, "metadataXml"],
      [{ metadataXml: "x".repeat(600 * 1024) }, "metadataXml"],
      [{ metadataUrl: idp.metadataUrl, emailAttribute: "" }, "emailAttribute"],
      [{ metadataUrl: idp.metadataUrl, preset: "ldap" }, "preset"],
      [{ metadataUrl: idp.metadataUrl, extra: true }, ""],
    ];
    for (const [input, field] of cases) {
      const error = await errorOf(w.admin().saml.save(input as never));
      expect(error.code, JSON.stringify(input).slice(0, 80)).toBe("BAD_REQUEST");
      if (field) expect(error.field ?? error.message, JSON.stringify(input).slice(0, 80)).toContain(field);
      expect(error.message).not.toMatch(/select|insert|stack/i);
    }
    expect(await countRows(db(), "saml_connections")).toBe(before);
  });

  it("is closed to anonymous callers, members without the right and admins of other organizations", async () => {
    const w = await world();
    await w.admin().saml.save({ metadataUrl: idp.metadataUrl });
    expect((await errorOf(callerFor(db()).caller.saml.connection())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(w.member().saml.connection())).code).toBe("FORBIDDEN");
    expect((await errorOf(w.member().saml.save({ metadataUrl: idp.metadataUrl }))).code).toBe("FORBIDDEN");
    expect((await errorOf(w.member().saml.setEnabled({ enabled: false }))).code).toBe("FORBIDDEN");
    expect((await errorOf(w.member().saml.remove())).code).toBe("FORBIDDEN");
    const other = await world();
    expect((await other.admin().saml.connection()).connection).toBeNull();
    const foreign = callerFor(db(), { token: other.adminUser.token, orgSlug: w.org.slug }).caller;
    const foreignError = await errorOf(foreign.saml.remove());
    expect(foreignError).toMatchObject({ code: "FORBIDDEN", reason: "NOT_A_MEMBER" });
    expect((await w.admin().saml.connection()).connection?.enabled).toBe(true);
    // Each admin sees and changes only their own organization's connection.
    expect((await other.admin().saml.connection()).connection).toBeNull();
  });

  it("disables, enables and removes a connection, each audited", async () => {
    const w = await world();
    await w.admin().saml.save({ metadataUrl: idp.metadataUrl });
    expect(await w.admin().saml.setEnabled({ enabled: false })).toMatchObject({ enabled: false });
    expect(await lastAudit("saml_connection.disabled")).toMatchObject({ outcome: "success" });
    await w.admin().saml.setEnabled({ enabled: true });
    await w.admin().saml.remove();
    expect(await lastAudit("saml_connection.deleted")).toMatchObject({ outcome: "success" });
    expect((await w.admin().saml.connection()).connection).toBeNull();
    expect((await errorOf(w.admin().saml.remove())).code).toBe("NOT_FOUND");
    expect((await errorOf(w.admin().saml.setEnabled({ enabled: true }))).code).toBe("NOT_FOUND");
  });
});
