import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, errorOf, signUp } from "../../test/helpers.ts";

const db = useTestDb();

describe("user procedures", () => {
  it("return the caller's own profile and nothing secret", async () => {
    const { token, email } = await signUp(db(), undefined, { firstName: "Grace" });
    const me = await callerFor(db(), { token }).caller.user.me();
    expect(me).toMatchObject({ firstName: "Grace", primaryEmail: email });
    expect(JSON.stringify(me)).not.toMatch(/argon2|privateMetadata|secret/i);
  });

  it("update the profile and treat empty strings as cleared", async () => {
    const { token } = await signUp(db(), undefined, { firstName: "Grace" });
    const updated = await callerFor(db(), { token }).caller.user.updateProfile({ firstName: "", lastName: "Hopper", username: "ghopper" });
    expect(updated).toMatchObject({ firstName: null, lastName: "Hopper", username: "ghopper" });
  });

  it("report a taken username as a conflict", async () => {
    const a = await signUp(db());
    const b = await signUp(db());
    await callerFor(db(), { token: a.token }).caller.user.updateProfile({ username: "taken_name" });
    const error = await errorOf(callerFor(db(), { token: b.token }).caller.user.updateProfile({ username: "TAKEN_NAME" }));
    expect(error.code).toBe("CONFLICT");
  });

  it.each([
    [{ username: "a" }, "username"],
    [{ username: "has space" }, "username"],
    [{ imageUrl: "javascript:alert(1)" }, "imageUrl"],
    [{ imageUrl: "http://insecure.example/x.png" }, "imageUrl"],
    [{ locale: "xx-XX" }, "locale"],
    [{ lastName: "y".repeat(65) }, "lastName"],
  ])("refuse bad input %# naming the field", async (input, field) => {
    const { token } = await signUp(db());
    const error = await errorOf(callerFor(db(), { token }).caller.user.updateProfile(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
  });

  it("are refused without a session", async () => {
    expect((await errorOf(callerFor(db()).caller.user.me())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(callerFor(db()).caller.user.updateProfile({ firstName: "x" }))).code).toBe("UNAUTHORIZED");
  });
});
