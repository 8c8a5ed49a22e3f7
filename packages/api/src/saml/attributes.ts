/**
 * saml: where the address and names are in an IdP's assertion. Defaults for the common IdPs; an admin can type any
 * attribute name. When the address attribute is missing, a NameID that is an address is used instead.
 */
export const attributePresets = {
  okta: { emailAttribute: "email", firstNameAttribute: "firstName", lastNameAttribute: "lastName" },
  entra: {
    emailAttribute: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    firstNameAttribute: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    lastNameAttribute: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
  },
  google: { emailAttribute: "email", firstNameAttribute: "first_name", lastNameAttribute: "last_name" },
} as const;

export type AttributePreset = keyof typeof attributePresets;
export type AttributeMapping = (typeof attributePresets)[AttributePreset];

export const defaultAttributeMapping: AttributeMapping = attributePresets.okta;

/** The first string value of an attribute (node-saml gives a string, an array, or an object for complex values). */
export function readAttribute(attributes: Record<string, unknown> | undefined, name: string): string | null {
  if (!attributes || !Object.hasOwn(attributes, name)) return null;
  const value = attributes[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === "string" && first.trim() ? first.trim().slice(0, 320) : null;
}
