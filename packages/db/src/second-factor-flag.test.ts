import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { useTestDb } from "./testing.ts";
import { passkeys, phoneNumbers, totpFactors, users } from "./schema.ts";

const db = useTestDb();

async function newUser() {
  const [user] = await db().db.insert(users).values({}).returning({ id: users.id });
  return user!.id;
}

async function flag(userId: string) {
  const [row] = await db().db.select({ has: users.hasSecondFactor }).from(users).where(eq(users.id, userId));
  return row!.has;
}

describe("users.has_second_factor kept by triggers", () => {
  it("turns on when a TOTP factor is verified, not when it is merely started, and off when it is removed", async () => {
    const userId = await newUser();
    await db().db.insert(totpFactors).values({ userId, secretEncrypted: "x" });
    expect(await flag(userId)).toBe(false);
    await db().db.update(totpFactors).set({ verifiedAt: new Date() }).where(eq(totpFactors.userId, userId));
    expect(await flag(userId)).toBe(true);
    await db().db.delete(totpFactors).where(eq(totpFactors.userId, userId));
    expect(await flag(userId)).toBe(false);
  });

  it("follows passkeys being added and removed, and stays on while another factor remains", async () => {
    const userId = await newUser();
    const [key] = await db()
      .db.insert(passkeys)
      .values({ userId, credentialId: `cred-${userId}`, publicKey: Buffer.from([1]), name: "Key" })
      .returning({ id: passkeys.id });
    expect(await flag(userId)).toBe(true);
    await db().db.insert(totpFactors).values({ userId, secretEncrypted: "x", verifiedAt: new Date() });
    await db().db.delete(passkeys).where(eq(passkeys.id, key!.id));
    expect(await flag(userId)).toBe(true);
    await db().db.delete(totpFactors).where(eq(totpFactors.userId, userId));
    expect(await flag(userId)).toBe(false);
  });

  it("counts a phone number only once it is verified and used for MFA", async () => {
    const userId = await newUser();
    const phone = `+4860${Math.floor(1e6 + Math.random() * 8e6)}`;
    await db().db.insert(phoneNumbers).values({ userId, phone, usedForMfa: true });
    expect(await flag(userId)).toBe(false);
    await db().db.update(phoneNumbers).set({ verifiedAt: new Date() }).where(eq(phoneNumbers.userId, userId));
    expect(await flag(userId)).toBe(true);
    await db().db.update(phoneNumbers).set({ usedForMfa: false }).where(eq(phoneNumbers.userId, userId));
    expect(await flag(userId)).toBe(false);
  });

  it("leaves other users alone and survives deleting the user with their factors", async () => {
    const a = await newUser();
    const b = await newUser();
    await db().db.insert(totpFactors).values({ userId: a, secretEncrypted: "x", verifiedAt: new Date() });
    expect([await flag(a), await flag(b)]).toEqual([true, false]);
    await db().db.delete(users).where(eq(users.id, a));
    expect(await flag(b)).toBe(false);
  });
});
