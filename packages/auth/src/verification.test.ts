import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { consumeToken, createVerification, generateCode, MAX_CODE_ATTEMPTS, pruneVerifications, verifyCode } from "./verification.ts";

const db = useTestDb();
const TEN_MINUTES = 10 * 60_000;
let n = 0;
const target = () => `person-${++n}-${Math.random().toString(36).slice(2, 7)}@example.test`;
/** `db.execute` answers an array on postgres.js and `{ rows }` on PGlite. */
const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("codes", () => {
  it("are 6 to 8 uniformly random digits", () => {
    expect(generateCode()).toMatch(/^\d{6}$/);
    expect(generateCode(8)).toMatch(/^\d{8}$/);
    expect(() => generateCode(4)).toThrow();
    const firstDigits = new Set(Array.from({ length: 400 }, () => generateCode()[0]));
    expect(firstDigits.size).toBe(10);
  });

  it("verify once, and never after", async () => {
    const to = target();
    const { code } = await createVerification(db().db, { purpose: "email_verification", target: to, ttlMs: TEN_MINUTES, code: true });
    expect((await verifyCode(db().db, { purpose: "email_verification", target: to, code: code! })).ok).toBe(true);
    expect(await verifyCode(db().db, { purpose: "email_verification", target: to, code: code! })).toEqual({ ok: false, reason: "already_verified" });
    expect(await verifyCode(db().db, { purpose: "email_verification", target: to, code: wrongCode(code!) })).toEqual({ ok: false, reason: "invalid" });
  });

  it("expire, and say so", async () => {
    const to = target();
    const now = new Date("2026-08-01T00:00:00Z");
    const { code } = await createVerification(db().db, { purpose: "sign_in_code", target: to, ttlMs: TEN_MINUTES, code: true, now });
    const late = new Date(now.getTime() + TEN_MINUTES);
    expect(await verifyCode(db().db, { purpose: "sign_in_code", target: to, code: code!, now: late })).toEqual({ ok: false, reason: "expired" });
  });

  it("allow 5 attempts, after which even the right code is refused", async () => {
    const to = target();
    const { code } = await createVerification(db().db, { purpose: "sign_in_code", target: to, ttlMs: TEN_MINUTES, code: true });
    for (let i = 0; i < MAX_CODE_ATTEMPTS; i++) {
      expect((await verifyCode(db().db, { purpose: "sign_in_code", target: to, code: wrongCode(code!) })).ok).toBe(false);
    }
    expect(await verifyCode(db().db, { purpose: "sign_in_code", target: to, code: code! })).toEqual({ ok: false, reason: "too_many_attempts" });
  });

  it("hold the attempt cap under 50 parallel wrong guesses", async () => {
    const to = target();
    const { id, code } = await createVerification(db().db, { purpose: "sign_in_code", target: to, ttlMs: TEN_MINUTES, code: true });
    const guesses = await Promise.all(
      Array.from({ length: 50 }, () => verifyCode(db().db, { purpose: "sign_in_code", target: to, code: wrongCode(code!) })),
    );
    expect(guesses.every((g) => !g.ok)).toBe(true);
    const [row] = await db().query<{ attempts: number }>(`select attempts from verifications where id = '${id}'`);
    expect(Number(row!.attempts)).toBe(MAX_CODE_ATTEMPTS);
  });

  it("give exactly one success to two concurrent right codes", async () => {
    const to = target();
    const { code } = await createVerification(db().db, { purpose: "email_verification", target: to, ttlMs: TEN_MINUTES, code: true });
    const results = await Promise.all([1, 2, 3].map(() => verifyCode(db().db, { purpose: "email_verification", target: to, code: code! })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it("run the caller's work once, in the check's transaction, and tell every other concurrent submission it is already verified", async () => {
    const to = target();
    const { code } = await createVerification(db().db, { purpose: "email_verification", target: to, ttlMs: TEN_MINUTES, code: true });
    let runs = 0;
    const results = await Promise.all(
      [1, 2, 3, 4].map(() =>
        verifyCode(db().db, { purpose: "email_verification", target: to, code: code! }, async (tx, verification) => {
          // The work sees the spent row through the same transaction.
          const [row] = rowsOf<{ consumed: boolean }>(await tx.execute(sql`select consumed_at is not null as consumed from verifications where id = ${verification.id}`));
          runs++;
          return row?.consumed;
        }),
      ),
    );
    expect(results.filter((r) => r.ok)).toEqual([expect.objectContaining({ ok: true, value: true })]);
    expect(results.filter((r) => !r.ok)).toEqual([1, 2, 3].map(() => ({ ok: false, reason: "already_verified" })));
    expect(runs).toBe(1);
  });

  it("give the code back when the caller's work fails, so it can be used again", async () => {
    const to = target();
    const { id, code } = await createVerification(db().db, { purpose: "email_verification", target: to, ttlMs: TEN_MINUTES, code: true });
    const failing = verifyCode(db().db, { purpose: "email_verification", target: to, code: code! }, async () => {
      throw new Error("the work failed");
    });
    await expect(failing).rejects.toThrow("the work failed");
    const [row] = await db().query<{ consumed_at: unknown; attempts: number }>(`select consumed_at, attempts from verifications where id = '${id}'`);
    expect(row).toMatchObject({ consumed_at: null, attempts: 0 });
    expect(await verifyCode(db().db, { purpose: "email_verification", target: to, code: code! }, async () => "done")).toMatchObject({ ok: true, value: "done" });
  });

  it("keep the spent attempt of a wrong code", async () => {
    const to = target();
    const { id, code } = await createVerification(db().db, { purpose: "email_verification", target: to, ttlMs: TEN_MINUTES, code: true });
    let runs = 0;
    const result = await verifyCode(db().db, { purpose: "email_verification", target: to, code: wrongCode(code!) }, async () => runs++);
    expect(result).toEqual({ ok: false, reason: "invalid" });
    expect(runs).toBe(0);
    const [row] = await db().query<{ attempts: number }>(`select attempts from verifications where id = '${id}'`);
    expect(Number(row!.attempts)).toBe(1);
  });

  it("die when a newer one is sent to the same address", async () => {
    const to = target();
    const first = await createVerification(db().db, { purpose: "email_verification", target: to, ttlMs: TEN_MINUTES, code: true });
    const second = await createVerification(db().db, { purpose: "email_verification", target: to, ttlMs: TEN_MINUTES, code: true });
    if (first.code !== second.code) {
      expect((await verifyCode(db().db, { purpose: "email_verification", target: to, code: first.code! })).ok).toBe(false);
    }
    expect((await verifyCode(db().db, { purpose: "email_verification", target: to, code: second.code! })).ok).toBe(true);
  });
});

describe("link tokens", () => {
  it("carry at least 128 random bits and are stored only as hashes", async () => {
    const to = target();
    const { token, code } = await createVerification(db().db, { purpose: "password_reset", target: to, ttlMs: 3_600_000, link: true, code: true });
    const secret = token!.split(".")[1]!;
    expect(secret.length * 5).toBeGreaterThanOrEqual(128);
    const dump = JSON.stringify(await db().query("select * from verifications"));
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(`"${code}"`);
  });

  it("work once, for their purpose only, and two concurrent uses give one success", async () => {
    const to = target();
    const { token } = await createVerification(db().db, { purpose: "password_reset", target: to, ttlMs: 3_600_000, link: true });
    expect((await consumeToken(db().db, { purpose: "magic_link", token: token! })).ok).toBe(false);
    let runs = 0;
    const results = await Promise.all([1, 2].map(() => consumeToken(db().db, { purpose: "password_reset", token: token! }, async () => ++runs)));
    expect(results.filter((r) => r.ok)).toEqual([expect.objectContaining({ ok: true, value: 1 })]);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: "already_verified" }]);
    expect(runs).toBe(1);
    expect(await consumeToken(db().db, { purpose: "password_reset", token: token! })).toEqual({ ok: false, reason: "already_verified" });
  });

  it("that a newer request retired are invalid, not already verified", async () => {
    const to = target();
    const { token } = await createVerification(db().db, { purpose: "magic_link", target: to, ttlMs: 15 * 60_000, link: true });
    await createVerification(db().db, { purpose: "magic_link", target: to, ttlMs: 15 * 60_000, link: true });
    expect(await consumeToken(db().db, { purpose: "magic_link", token: token! })).toEqual({ ok: false, reason: "invalid" });
  });

  it("refuse forged, malformed and expired tokens", async () => {
    const to = target();
    const now = new Date("2026-08-01T00:00:00Z");
    const { token, id } = await createVerification(db().db, { purpose: "magic_link", target: to, ttlMs: 15 * 60_000, link: true, now });
    for (const bad of ["", "x", `${id}.${"a".repeat(39)}`, `${token}x`, token!.replace(".", ":")]) {
      expect((await consumeToken(db().db, { purpose: "magic_link", token: bad, now })).ok).toBe(false);
    }
    expect(await consumeToken(db().db, { purpose: "magic_link", token: token!, now: new Date(now.getTime() + 15 * 60_000) })).toEqual({ ok: false, reason: "expired" });
  });
});

describe("pruning", () => {
  it("deletes only the verifications that expired before the cut-off", async () => {
    const now = new Date("2026-09-01T00:00:00Z");
    const old = await createVerification(db().db, { purpose: "sign_in_code", target: target(), ttlMs: TEN_MINUTES, code: true, now: new Date(now.getTime() - 2 * 86_400_000) });
    const live = await createVerification(db().db, { purpose: "sign_in_code", target: target(), ttlMs: TEN_MINUTES, code: true, now });
    await pruneVerifications(db().db, new Date(now.getTime() - 86_400_000));
    const ids = (await db().query<{ id: string }>("select id from verifications")).map((r) => r.id);
    expect(ids).not.toContain(old.id);
    expect(ids).toContain(live.id);
  });
});
