import * as argon2 from "@node-rs/argon2";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { hashPassword, needsRehash, passwordHashParams, verifyPassword, verifyPasswordOrDummy } from "./password.ts";

// Pass-through spies: the real argon2 runs, and the tests can count verifications instead of timing them.
vi.mock("@node-rs/argon2", async (importOriginal) => {
  const real = await importOriginal<typeof argon2>();
  return { ...real, hash: vi.fn(real.hash), verify: vi.fn(real.verify) };
});

const verifySpy = vi.mocked(argon2.verify);

beforeEach(() => {
  verifySpy.mockClear();
});

describe("hashPassword", () => {
  it("a hash made today starts with the OWASP parameters", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    expect(passwordHashParams).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  it("the same password hashed twice gives two different hashes (random salt)", async () => {
    const [a, b] = await Promise.all([hashPassword("same password"), hashPassword("same password")]);
    expect(a).not.toBe(b);
  });

  it("hashing does not block the event loop", async () => {
    let immediateFired = false;
    setImmediate(() => {
      immediateFired = true;
    });
    const firedBeforeHash = await hashPassword("event loop stays free").then(() => immediateFired);
    expect(firedBeforeHash).toBe(true);
  });
});

describe("verifyPassword", () => {
  it("accepts the right password and rejects a wrong one", async () => {
    const hash = await hashPassword("s3cret-passphrase");
    expect(await verifyPassword(hash, "s3cret-passphrase")).toBe(true);
    expect(await verifyPassword(hash, "s3cret-passphrasE")).toBe(false);
    expect(await verifyPassword(hash, "")).toBe(false);
  });

  it("a password typed with a decomposed accent matches the composed one", async () => {
    const hash = await hashPassword("caf\u00e9-au-lait");
    expect(await verifyPassword(hash, "cafe\u0301-au-lait")).toBe(true);
  });

  it("a malformed hash returns false instead of throwing", async () => {
    for (const bad of ["", "not-a-hash", "$argon2id$v=19$m=19456,t=2,p=1$", "$2b$10$abcdefghijklmnopqrstuv", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$!!"]) {
      await expect(verifyPassword(bad, "whatever")).resolves.toBe(false);
    }
    await expect(verifyPassword(null as unknown as string, "whatever")).resolves.toBe(false);
  });

  it("a hash with a well-formed header but corrupt contents returns false", async () => {
    const hash = await hashPassword("right one");
    const corrupt = hash.slice(0, -4) + (hash.endsWith("AAAA") ? "BBBB" : "AAAA");
    await expect(verifyPassword(corrupt, "right one")).resolves.toBe(false);
  });
});

describe("verifyPasswordOrDummy", () => {
  it("an unknown user still costs one real argon2 verification and gets false", async () => {
    expect(await verifyPasswordOrDummy(null, "anything at all")).toBe(false);
    expect(await verifyPasswordOrDummy(undefined, "anything at all")).toBe(false);
    expect(verifySpy).toHaveBeenCalledTimes(2);
    const [dummy] = verifySpy.mock.calls[0]!;
    expect(String(dummy).startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
  });

  it("the dummy hash is computed once and reused", async () => {
    await verifyPasswordOrDummy(null, "first");
    await verifyPasswordOrDummy(null, "second");
    expect(verifySpy.mock.calls[0]![0]).toBe(verifySpy.mock.calls[1]![0]);
  });

  it("an unknown user takes about as long as a known one", async () => {
    const hash = await hashPassword("known user password");
    await verifyPasswordOrDummy(null, "warm-up");
    const time = async (fn: () => Promise<unknown>) => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };
    const known = await time(() => verifyPasswordOrDummy(hash, "wrong guess"));
    const unknown = await time(() => verifyPasswordOrDummy(null, "wrong guess"));
    expect(unknown).toBeGreaterThan(1);
    expect(unknown).toBeGreaterThan(known / 5);
  });

  it("a known user is checked against their own hash", async () => {
    const hash = await hashPassword("mine");
    expect(await verifyPasswordOrDummy(hash, "mine")).toBe(true);
    expect(await verifyPasswordOrDummy(hash, "not mine")).toBe(false);
  });
});

describe("needsRehash", () => {
  it("a hash with today's parameters needs no rehash", async () => {
    expect(needsRehash(await hashPassword("fresh"))).toBe(false);
  });

  it("a hash with weaker memory or time cost needs a rehash", async () => {
    const weakMemory = await argon2.hash("old", { memoryCost: 4096, timeCost: 2, parallelism: 1 });
    expect(weakMemory.startsWith("$argon2id$v=19$m=4096,t=2,p=1$")).toBe(true);
    expect(needsRehash(weakMemory)).toBe(true);
    expect(needsRehash(await argon2.hash("old", { memoryCost: 19456, timeCost: 1, parallelism: 1 }))).toBe(true);
  });

  it("a hash of another algorithm or an unreadable string needs a rehash", () => {
    expect(needsRehash("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g")).toBe(true);
    expect(needsRehash("$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g")).toBe(true);
    expect(needsRehash("$2b$10$abcdefghijklmnopqrstuv")).toBe(true);
    expect(needsRehash("")).toBe(true);
  });

  it("a hash with stronger parameters is left alone", () => {
    expect(needsRehash("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g")).toBe(false);
  });
});
