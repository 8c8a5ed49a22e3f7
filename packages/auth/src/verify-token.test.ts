import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { TokenVerificationError, verifyToken, type VerifyTokenOptions } from "./verify-token.ts";

const ISSUER = "https://auth.example.test";

let ed: { privateKey: CryptoKey; publicJwk: JWK };
let rsa: { privateKey: CryptoKey; publicJwk: JWK; pem: string };
let server: Server;
let jwksUrl: string;
let served: JWK[] = [];

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TokenVerificationError);
    return (error as TokenVerificationError).reason;
  }
  throw new Error("expected the token to be refused");
}

function sign(
  claims: Record<string, unknown> = {},
  opts: { key?: CryptoKey; alg?: string; kid?: string; exp?: number | string; iat?: number; nbf?: number } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ sid: "sess_1", azp: "https://app.example.test", ...claims })
    .setProtectedHeader({ alg: opts.alg ?? "EdDSA", kid: opts.kid ?? "key_ed", typ: "JWT" })
    .setSubject("user_1")
    .setIssuer(ISSUER)
    .setIssuedAt(opts.iat ?? now)
    .setExpirationTime(opts.exp ?? now + 60);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(opts.key ?? ed.privateKey);
}

beforeAll(async () => {
  const edPair = await generateKeyPair("EdDSA", { extractable: true });
  ed = { privateKey: edPair.privateKey, publicJwk: { ...(await exportJWK(edPair.publicKey)), kid: "key_ed", alg: "EdDSA", use: "sig" } };
  const rsaPair = await generateKeyPair("RS256", { extractable: true, modulusLength: 2048 });
  rsa = {
    privateKey: rsaPair.privateKey,
    publicJwk: { ...(await exportJWK(rsaPair.publicKey)), kid: "key_rsa", alg: "RS256", use: "sig" },
    pem: await exportSPKI(rsaPair.publicKey),
  };
  served = [ed.publicJwk, rsa.publicJwk];
  server = createServer((req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("verifyToken", () => {
  it("accepts an EdDSA token through the JWKS URL and returns its claims", async () => {
    const claims = await verifyToken(await sign({ org_id: "org_1" }), { jwksUrl, issuer: ISSUER, authorizedParties: ["https://app.example.test"] });
    expect(claims).toMatchObject({ sub: "user_1", sid: "sess_1", iss: ISSUER, org_id: "org_1" });
  });

  it("accepts an RS256 token with a JWK, a JWK set or a PEM key", async () => {
    const token = await sign({}, { key: rsa.privateKey, alg: "RS256", kid: "key_rsa" });
    expect((await verifyToken(token, { key: rsa.publicJwk })).sub).toBe("user_1");
    expect((await verifyToken(token, { key: { keys: served } })).sub).toBe("user_1");
    expect((await verifyToken(token, { key: rsa.pem })).sub).toBe("user_1");
  });

  it("refuses an unsigned token (alg: none)", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "none", kid: "key_ed", typ: "JWT" }));
    const now = Math.floor(Date.now() / 1000);
    const payload = base64url.encode(JSON.stringify({ sub: "admin", iss: ISSUER, iat: now, exp: now + 60 }));
    expect(await reasonOf(verifyToken(`${header}.${payload}.`, { jwksUrl }))).toBe("token-invalid-algorithm");
    expect(await reasonOf(verifyToken(`${header}.${payload}.`, { key: ed.publicJwk }))).toBe("token-invalid-algorithm");
  });

  it("refuses HS256 signed with the public key as the secret (algorithm confusion)", async () => {
    const secret = new TextEncoder().encode(rsa.pem);
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", kid: "key_rsa" })
      .setSubject("admin")
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(secret);
    expect(await reasonOf(verifyToken(forged, { key: rsa.pem }))).toBe("token-invalid-algorithm");
    expect(await reasonOf(verifyToken(forged, { jwksUrl }))).toBe("token-invalid-algorithm");
  });

  it("refuses an unknown kid and a token without one", async () => {
    const other = await generateKeyPair("EdDSA");
    expect(await reasonOf(verifyToken(await sign({}, { key: other.privateKey, kid: "key_unknown" }), { jwksUrl }))).toBe("jwk-kid-mismatch");
    expect(await reasonOf(verifyToken(await sign({}, { kid: "key_unknown" }), { key: ed.publicJwk }))).toBe("jwk-kid-mismatch");
    const noKid = await new SignJWT({})
      .setProtectedHeader({ alg: "EdDSA" })
      .setSubject("u")
      .setIssuedAt()
      .setExpirationTime("1m")
      .sign(ed.privateKey);
    expect(await reasonOf(verifyToken(noKid, { jwksUrl }))).toBe("token-missing-kid");
  });

  it("refuses a token signed by another key under a known kid", async () => {
    const other = await generateKeyPair("EdDSA");
    expect(await reasonOf(verifyToken(await sign({}, { key: other.privateKey }), { jwksUrl }))).toBe("token-invalid-signature");
  });

  it("refuses an expired token, and one not valid yet, beyond the clock skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await reasonOf(verifyToken(await sign({}, { iat: now - 120, exp: now - 10 }), { jwksUrl }))).toBe("token-expired");
    // Within the default 5 s skew it still passes; with no skew it does not.
    const justExpired = await sign({}, { iat: now - 62, exp: now - 2 });
    expect((await verifyToken(justExpired, { jwksUrl })).sub).toBe("user_1");
    expect(await reasonOf(verifyToken(justExpired, { jwksUrl, clockSkewInSec: 0 }))).toBe("token-expired");
    expect(await reasonOf(verifyToken(await sign({}, { nbf: now + 30 }), { jwksUrl }))).toBe("token-not-active-yet");
  });

  it("refuses a wrong issuer, a wrong audience and an unauthorized party", async () => {
    const token = await sign({ aud: "authenticated" });
    expect(await reasonOf(verifyToken(token, { jwksUrl, issuer: "https://evil.example.test" }))).toBe("token-invalid-issuer");
    expect(await reasonOf(verifyToken(token, { jwksUrl, audience: "somebody-else" }))).toBe("token-invalid-audience");
    expect((await verifyToken(token, { jwksUrl, audience: "authenticated" })).aud).toBe("authenticated");
    expect(await reasonOf(verifyToken(await sign(), { jwksUrl, audience: "authenticated" }))).toBe("token-invalid-audience");
    expect(await reasonOf(verifyToken(token, { jwksUrl, authorizedParties: ["https://other.example.test"] }))).toBe("token-invalid-authorized-party");
  });

  it("refuses garbage and bad options without throwing anything but a TokenVerificationError", async () => {
    for (const garbage of ["", "abc", "a.b.c", "x".repeat(20_000), `${base64url.encode("{")}.e30.`]) {
      expect(await reasonOf(verifyToken(garbage, { jwksUrl }))).toBe("token-malformed");
    }
    const token = await sign();
    expect(await reasonOf(verifyToken(token, {} as VerifyTokenOptions))).toBe("options-invalid");
    expect(await reasonOf(verifyToken(token, { jwksUrl, key: ed.publicJwk }))).toBe("options-invalid");
    expect(await reasonOf(verifyToken(token, { jwksUrl, clockSkewInSec: -1 }))).toBe("options-invalid");
  });

  it("imports nothing but jose, so it runs at the edge", async () => {
    const source = await readFile(new URL("./verify-token.ts", import.meta.url), "utf8");
    const imports = [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]);
    expect(imports).toEqual(["jose"]);
    expect(source).not.toMatch(/\brequire\(|node:|\bBuffer\b|\bprocess\./);
  });
});
