import { describe, expect, it } from "vitest";
import { describeErrorForLog } from "./log.ts";
import { useTestDb } from "./testing.ts";
import { emailAddresses, users } from "./schema.ts";

const db = useTestDb();

describe("describeErrorForLog", () => {
  it("keeps the SQL and its parameters out of the line for a database error", async () => {
    const [user] = await db().db.insert(users).values({}).returning();
    await db().db.insert(emailAddresses).values({ userId: user!.id, email: "dup@example.test" });
    const error = await db()
      .db.insert(emailAddresses)
      .values({ userId: user!.id, email: "dup@example.test" })
      .then(() => null, (e: unknown) => e);
    expect(String((error as Error).message)).toContain("dup@example.test");
    const line = describeErrorForLog(error);
    expect(line).toContain("23505");
    expect(line).not.toContain("dup@example.test");
    expect(line).not.toMatch(/insert into/i);
  });

  it("keeps the message and stack of an ordinary error", () => {
    const line = describeErrorForLog(new TypeError("x is not a function"));
    expect(line).toMatch(/^TypeError: x is not a function/);
  });
});
