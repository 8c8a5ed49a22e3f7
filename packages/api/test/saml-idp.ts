/**
 * A small SAML 2.0 identity provider for tests, the e2e suite and `npm run dev:idp`: a fresh RSA key and self-signed
 * certificate per start (@peculiar/x509), metadata at `/saml/metadata`, a login screen at `/saml/sso` (HTTP-Redirect
 * AuthnRequest in, any address accepted, no password) that answers with an auto-posting form of a signed response.
 * Responses are signed with node-saml's own signing (xml-crypto underneath); `buildSamlResponse` is exported so
 * tests can make real signed XML with any detail changed.
 */
// @peculiar/x509's CommonJS build (what tsx loads for `npm run dev:idp`) needs the Reflect metadata polyfill first.
import "reflect-metadata";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { generateKeyPairSync, randomBytes, webcrypto } from "node:crypto";
import type { AddressInfo } from "node:net";
import { inflateRawSync } from "node:zlib";
import * as x509 from "@peculiar/x509";
import { signSamlPost } from "@node-saml/node-saml/lib/saml-post-signing.js";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface SigningPair {
  privateKey: string;
  certificate: string;
}

/** A 2048-bit RSA key and a self-signed certificate for it (valid a year), both PEM. */
export async function createSigningPair(commonName = "Latchkey test IdP"): Promise<SigningPair> {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const keys = {
    publicKey: await webcrypto.subtle.importKey("spki", publicKey.export({ type: "spki", format: "der" }), algorithm, true, ["verify"]),
    privateKey: await webcrypto.subtle.importKey("pkcs8", privateKey.export({ type: "pkcs8", format: "der" }), algorithm, true, ["sign"]),
  };
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString("hex"),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 24 * 3600_000),
    signingAlgorithm: algorithm,
    keys: keys as CryptoKeyPair,
  });
  return { privateKey: privateKey.export({ type: "pkcs8", format: "pem" }) as string, certificate: cert.toString("pem") };
}

const certificateBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const iso = (ms: number) => new Date(ms).toISOString();
export const newSamlId = () => `_${randomBytes(16).toString("hex")}`;

export interface SamlResponseOptions {
  idpEntityId: string;
  acsUrl: string;
  audience: string;
  nameId: string;
  nameIdFormat?: string;
  /** Raw XML put inside <NameID> instead of the escaped nameId (comment injection tests). */
  nameIdXml?: string;
  attributes?: Record<string, string>;
  inResponseTo?: string | null;
  assertionId?: string;
  responseId?: string;
  /** Defaults: now − 30 s / now + 5 min. */
  notBefore?: number;
  notOnOrAfter?: number;
  /** The bearer confirmation's NotOnOrAfter; defaults to notOnOrAfter. */
  subjectNotOnOrAfter?: number;
  recipient?: string;
  destination?: string | null;
  /** Which element carries the signature. */
  sign: "assertion" | "response" | "both" | "none";
  key: SigningPair;
}

export const ASSERTION_XPATH = "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";
const RESPONSE_XPATH = "/*[local-name(.)='Response']";

/** The assertion element alone (unsigned). */
export function buildAssertion(options: Omit<SamlResponseOptions, "sign" | "key">): string {
  const now = Date.now();
  const notBefore = iso(options.notBefore ?? now - 30_000);
  const notOnOrAfter = iso(options.notOnOrAfter ?? now + 5 * 60_000);
  const subjectNotOnOrAfter = options.subjectNotOnOrAfter ? iso(options.subjectNotOnOrAfter) : notOnOrAfter;
  const inResponseTo = options.inResponseTo ? ` InResponseTo="${escapeXml(options.inResponseTo)}"` : "";
  const format = options.nameIdFormat ?? "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
  const attributes = Object.entries(options.attributes ?? {})
    .map(
      ([name, value]) =>
        `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"><saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${escapeXml(value)}</saml:AttributeValue></saml:Attribute>`,
    )
    .join("");
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${options.assertionId ?? newSamlId()}" Version="2.0" IssueInstant="${iso(now)}">` +
    `<saml:Issuer>${escapeXml(options.idpEntityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${format}">${options.nameIdXml ?? escapeXml(options.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${subjectNotOnOrAfter}" Recipient="${escapeXml(options.recipient ?? options.acsUrl)}"${inResponseTo}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${escapeXml(options.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${newSamlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : "") +
    `</saml:Assertion>`
  );
}

/** Wraps assertion XML (signed or not) in a Response. */
export function wrapInResponse(options: Pick<SamlResponseOptions, "idpEntityId" | "acsUrl" | "inResponseTo" | "destination" | "responseId">, inner: string): string {
  const inResponseTo = options.inResponseTo ? ` InResponseTo="${escapeXml(options.inResponseTo)}"` : "";
  const destination = options.destination === null ? "" : ` Destination="${escapeXml(options.destination ?? options.acsUrl)}"`;
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${options.responseId ?? newSamlId()}" Version="2.0" IssueInstant="${iso(Date.now())}"${destination}${inResponseTo}>` +
    `<saml:Issuer>${escapeXml(options.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    inner +
    `</samlp:Response>`
  );
}

const signWith = (xml: string, xpath: string, key: SigningPair) =>
  signSamlPost(xml, xpath, { privateKey: key.privateKey, publicCert: key.certificate, signatureAlgorithm: "sha256", digestAlgorithm: "sha256" });

/** A complete Response as XML, signed where `sign` says. */
export function buildSamlResponse(options: SamlResponseOptions): string {
  let xml = wrapInResponse(options, buildAssertion(options));
  if (options.sign === "assertion" || options.sign === "both") xml = signWith(xml, ASSERTION_XPATH, options.key);
  if (options.sign === "response" || options.sign === "both") xml = signWith(xml, RESPONSE_XPATH, options.key);
  return xml;
}

export const encodeSamlResponse = (xml: string) => Buffer.from(xml, "utf8").toString("base64");

export interface TestSamlIdp {
  origin: string;
  entityId: string;
  metadataUrl: string;
  ssoUrl: string;
  key: SigningPair;
  stop: () => Promise<void>;
}

export interface SamlIdpOptions {
  port?: number;
  host?: string;
  key?: SigningPair;
}

function idpMetadata(entityId: string, ssoUrl: string, certificate: string): string {
  return (
    `<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${escapeXml(entityId)}">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certificateBody(certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${escapeXml(ssoUrl)}"/>` +
    `</md:IDPSSODescriptor></md:EntityDescriptor>\n`
  );
}

/** The parts of an HTTP-Redirect AuthnRequest the login screen needs. */
export function readAuthnRequest(samlRequest: string): { id: string; acsUrl: string; issuer: string } | null {
  try {
    const xml = inflateRawSync(Buffer.from(samlRequest, "base64")).toString("utf8");
    const id = /\sID="([^"]+)"/.exec(xml)?.[1];
    const acsUrl = /AssertionConsumerServiceURL="([^"]+)"/.exec(xml)?.[1];
    const issuer = /<saml:Issuer[^>]*>([^<]+)<\/saml:Issuer>/.exec(xml)?.[1];
    return id && acsUrl && issuer ? { id, acsUrl: acsUrl.replace(/&amp;/g, "&"), issuer: issuer.replace(/&amp;/g, "&") } : null;
  } catch {
    return null;
  }
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  let body = "";
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 64 * 1024) break;
  }
  return new URLSearchParams(body);
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto">${body}</body></html>`;

/**
 * Starts the IdP. The login screen accepts any address; the response carries it as NameID and as the `email`,
 * `firstName` and `lastName` attributes (Okta's names, the default mapping).
 */
export async function startSamlIdp(options: SamlIdpOptions = {}): Promise<TestSamlIdp> {
  const key = options.key ?? (await createSigningPair());
  const host = options.host ?? "127.0.0.1";
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host}:${port}`;
  const entityId = `${origin}/saml/metadata`;
  const ssoUrl = `${origin}/saml/sso`;
  server.on("request", (request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", origin);
      const html = (status: number, body: string) => {
        response.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
        response.end(body);
      };
      if (request.method === "GET" && url.pathname === "/saml/metadata") {
        response.writeHead(200, { "content-type": "application/samlmetadata+xml" });
        response.end(idpMetadata(entityId, ssoUrl, key.certificate));
        return;
      }
      if (request.method === "GET" && url.pathname === "/saml/sso") {
        const samlRequest = url.searchParams.get("SAMLRequest") ?? "";
        if (!readAuthnRequest(samlRequest)) return html(400, page("IdP error", "<p>No valid SAMLRequest.</p>"));
        const hint = url.searchParams.get("login_hint") ?? "";
        return html(
          200,
          page(
            "Dev SAML IdP",
            `<h1>Dev SAML IdP</h1><form method="post" action="/saml/sso"><input type="hidden" name="SAMLRequest" value="${escapeXml(samlRequest)}"><input type="hidden" name="RelayState" value="${escapeXml(url.searchParams.get("RelayState") ?? "")}"><p><label for="email">Email</label> <input id="email" name="email" type="email" value="${escapeXml(hint)}" required></p><p><button>Sign in</button></p></form>`,
          ),
        );
      }
      if (request.method === "POST" && url.pathname === "/saml/sso") {
        const form = await readForm(request);
        const authn = readAuthnRequest(form.get("SAMLRequest") ?? "");
        const email = (form.get("email") ?? "").trim().toLowerCase();
        if (!authn || !email.includes("@")) return html(400, page("IdP error", "<p>Missing request or address.</p>"));
        const local = email.split("@")[0]!;
        const xml = buildSamlResponse({
          idpEntityId: entityId,
          acsUrl: authn.acsUrl,
          audience: authn.issuer,
          nameId: email,
          attributes: { email, firstName: local.charAt(0).toUpperCase() + local.slice(1), lastName: "Tester" },
          inResponseTo: authn.id,
          sign: "assertion",
          key,
        });
        const relayState = form.get("RelayState") ?? "";
        return html(
          200,
          page(
            "Dev SAML IdP",
            `<form method="post" action="${escapeXml(authn.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${encodeSamlResponse(xml)}"><input type="hidden" name="RelayState" value="${escapeXml(relayState)}"><p>Signed in as ${escapeXml(email)}.</p><button>Continue</button></form><script>document.forms[0].submit()</script>`,
          ),
        );
      }
      html(404, page("Not found", "<p>Not found.</p>"));
    })().catch(() => {
      response.writeHead(500);
      response.end();
    });
  });
  return {
    origin,
    entityId,
    metadataUrl: entityId,
    ssoUrl,
    key,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
