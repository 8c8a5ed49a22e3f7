/**
 * saml: reads an IdP's metadata (EntityDescriptor): its entity id, its HTTP-Redirect single sign-on URL and the
 * certificates it signs with. Only reads values out of the document; signatures are node-saml's business (flow.ts).
 * A DOCTYPE (and with it any entity) is refused before parsing, so no entity is ever expanded or fetched.
 */
import { DOMParser } from "@xmldom/xmldom";
import xpath from "xpath";
import { isAcceptableIssuer } from "@latchkey/auth";

export const MAX_METADATA_BYTES = 512 * 1024;
const REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const METADATA_TIMEOUT_MS = 10_000;

export class MetadataError extends Error {
  constructor(
    readonly why: string,
    message: string,
  ) {
    super(message);
    this.name = "MetadataError";
  }
}

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  certificates: string[];
}

/** True when the text declares a DTD or an entity: refused everywhere we read SAML XML. */
export function hasDoctype(xml: string): boolean {
  return /<!DOCTYPE|<!ENTITY/i.test(xml);
}

/** Parses XML strictly: any parser warning or error fails, a DOCTYPE fails. */
export function parseXmlStrictly(xml: string): Document {
  if (hasDoctype(xml)) throw new MetadataError("doctype", "The XML may not contain a DOCTYPE or entities.");
  const problems: string[] = [];
  const doc = new DOMParser({
    errorHandler: {
      warning: (msg: string) => problems.push(msg),
      error: (msg: string) => problems.push(msg),
      fatalError: (msg: string) => problems.push(msg),
    },
  }).parseFromString(xml, "text/xml");
  if (problems.length > 0 || !doc.documentElement) throw new MetadataError("malformed", "The XML is not well formed.");
  return doc as unknown as Document;
}

/** A PEM certificate from base64 DER (whitespace allowed); null when it is not a certificate Node can read. */
export function toPemCertificate(value: string): string | null {
  const body = value.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length < 100 || body.length > 16_384) return null;
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
  return pem;
}

const select = (expression: string, node: Node) => xpath.select(expression, node) as Node[];

export function parseIdpMetadata(xml: string): IdpMetadata {
  if (xml.length > MAX_METADATA_BYTES) throw new MetadataError("too_large", "The metadata is too large.");
  const doc = parseXmlStrictly(xml);
  const descriptors = select("//*[local-name()='EntityDescriptor'][*[local-name()='IDPSSODescriptor']]", doc);
  if (descriptors.length !== 1)
    throw new MetadataError("no_idp", "The metadata must describe exactly one identity provider (IDPSSODescriptor).");
  const entity = descriptors[0] as Element;
  const entityId = (entity.getAttribute("entityID") ?? "").trim();
  if (!entityId || entityId.length > 1024) throw new MetadataError("no_entity_id", "The metadata has no entityID.");
  const idp = select("./*[local-name()='IDPSSODescriptor']", entity)[0] as Element;
  const services = select("./*[local-name()='SingleSignOnService']", idp) as Element[];
  const redirect = services.find((service) => service.getAttribute("Binding") === REDIRECT_BINDING);
  const ssoUrl = (redirect?.getAttribute("Location") ?? "").trim();
  if (!ssoUrl || !isAcceptableSsoUrl(ssoUrl))
    throw new MetadataError("no_sso_url", "The metadata has no https single sign-on URL with the HTTP-Redirect binding.");
  const keys = select("./*[local-name()='KeyDescriptor']", idp) as Element[];
  const certificates: string[] = [];
  for (const key of keys) {
    const use = key.getAttribute("use");
    if (use && use !== "signing") continue;
    for (const node of select(".//*[local-name()='X509Certificate']", key)) {
      const pem = toPemCertificate(node.textContent ?? "");
      if (pem && !certificates.includes(pem)) certificates.push(pem);
    }
  }
  if (certificates.length === 0) throw new MetadataError("no_certificate", "The metadata has no signing certificate.");
  return { entityId, ssoUrl, certificates: certificates.slice(0, 5) };
}

/** The IdP's sign-on URL: https, or http on a loopback host (the development IdP), like OpenID issuers. */
export function isAcceptableSsoUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.hash || url.username || url.password) return false;
    const base = `${url.protocol}//${url.host}`;
    return isAcceptableIssuer(base) && value.length <= 1024;
  } catch {
    return false;
  }
}

/** Reads metadata from the IdP's URL (same https/loopback rule, 10 s, 512 KiB, no redirects to elsewhere). */
export async function fetchIdpMetadata(url: string): Promise<IdpMetadata> {
  if (!isAcceptableSsoUrl(url)) throw new MetadataError("bad_url", "Enter the metadata's https:// URL.");
  let text: string;
  try {
    const response = await fetch(url, {
      redirect: "error",
      signal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
      headers: { accept: "application/samlmetadata+xml, application/xml, text/xml" },
    });
    if (!response.ok) throw new MetadataError("http_status", `The metadata URL answered ${response.status}.`);
    const length = Number(response.headers.get("content-length") ?? 0);
    if (length > MAX_METADATA_BYTES) throw new MetadataError("too_large", "The metadata is too large.");
    text = await response.text();
  } catch (error) {
    if (error instanceof MetadataError) throw error;
    throw new MetadataError("unreachable", "The metadata URL could not be read.");
  }
  return parseIdpMetadata(text);
}
