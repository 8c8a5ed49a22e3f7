import { describe, expect, test } from "vitest";
import { profileFromMapping, valueAtPath } from "./custom-oauth.ts";
import { appleNameFromForm } from "./oauth.ts";

const mapping = { id: "data.uid", email: "data.contact.mail", emailVerified: "data.contact.confirmed", firstName: "data.given", lastName: null };

describe("custom OAuth 2.0 profile mapping", () => {
  test("reads nested values by dotted path, numbers as text, addresses lower-cased", () => {
    const profile = profileFromMapping({ data: { uid: 42, contact: { mail: "Grace@Example.TEST", confirmed: true }, given: " Grace " } }, mapping);
    expect(profile).toEqual({
      providerUserId: "42",
      email: "grace@example.test",
      emailVerified: true,
      firstName: "Grace",
      lastName: null,
      username: null,
      imageUrl: null,
    });
  });

  test("counts an address as verified only when the mapped flag is true or \"true\"", () => {
    const verified = (confirmed: unknown) => profileFromMapping({ data: { uid: "a", contact: { mail: "a@b.test", confirmed } } }, mapping)?.emailVerified;
    expect(verified(true)).toBe(true);
    expect(verified("true")).toBe(true);
    expect(verified(1)).toBe(false);
    expect(verified("yes")).toBe(false);
    expect(verified(undefined)).toBe(false);
    expect(profileFromMapping({ data: { uid: "a", contact: { mail: "a@b.test", confirmed: true } } }, { id: "data.uid", email: "data.contact.mail" })?.emailVerified).toBe(false);
  });

  test("gives no profile without an id, and never walks into the prototype", () => {
    expect(profileFromMapping({ data: {} }, mapping)).toBeNull();
    expect(valueAtPath({}, "__proto__")).toBeUndefined();
    expect(valueAtPath({}, "constructor.name")).toBeUndefined();
    expect(valueAtPath({ a: [{ b: "x" }] }, "a.0.b")).toBe("x");
  });
});

describe("Apple's first-sign-in name", () => {
  test("is read from the form post's user JSON, names only", () => {
    expect(appleNameFromForm('{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"x@evil.test"}')).toEqual({ firstName: "Ada", lastName: "Lovelace" });
    expect(appleNameFromForm('{"name":{"lastName":"Lovelace"}}')).toEqual({ firstName: null, lastName: "Lovelace" });
  });

  test("is nothing for bad JSON, no name, odd types, prototype keys or an oversized field", () => {
    for (const value of [null, "", "{", "[]", '{"name":"Ada"}', '{"name":{"firstName":42}}', '{"__proto__":{"name":{"firstName":"x"}}}', `{"name":{"firstName":"${"a".repeat(3000)}"}}`]) {
      expect(appleNameFromForm(value)).toBeNull();
    }
  });
});
