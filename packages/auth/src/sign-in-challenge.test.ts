import { describe, expect, it } from "vitest";
import {
  generateSignInChallengeToken,
  hashSignInChallengeToken,
  readSignInChallengeToken,
  serializeClearSignInChallengeCookie,
  serializeSignInChallengeCookie,
} from "./sign-in-challenge.ts";

describe("sign-in challenge tokens", () => {
  it("carry 160 random bits and store only their SHA-256", () => {
    const { token, tokenHash } = generateSignInChallengeToken();
    expect(token).toMatch(/^[a-z2-7]{32}$/);
    expect(tokenHash).toBe(hashSignInChallengeToken(token));
    expect(tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(generateSignInChallengeToken().token).not.toBe(token);
  });

  it("live in their own HttpOnly SameSite=Lax cookie, __Host- prefixed and Secure on https", () => {
    const expires = new Date(Date.now() + 600_000);
    const plain = serializeSignInChallengeCookie("a".repeat(32), { appUrl: "http://localhost:3000", expires });
    expect(plain).toMatch(/^latchkey_sign_in=a{32}; Expires=.*; Path=\/; HttpOnly; SameSite=Lax$/);
    const secure = serializeSignInChallengeCookie("a".repeat(32), { appUrl: "https://auth.example.com", expires });
    expect(secure).toMatch(/^__Host-latchkey_sign_in=.*; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(serializeClearSignInChallengeCookie("http://localhost:3000")).toContain("Max-Age=0");
  });

  it("are read back only when well formed and under the right name", () => {
    const token = generateSignInChallengeToken().token;
    expect(readSignInChallengeToken(`latchkey_sign_in=${token}`, "http://localhost:3000")).toBe(token);
    expect(readSignInChallengeToken(`latchkey_sign_in=${token}`, "https://auth.example.com")).toBeNull();
    expect(readSignInChallengeToken(`latchkey_sign_in=x' or 1=1`, "http://localhost:3000")).toBeNull();
    expect(readSignInChallengeToken(null, "http://localhost:3000")).toBeNull();
  });
});
