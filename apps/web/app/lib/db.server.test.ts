import type { DbHandle } from "@latchkey/db";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";

const createDb = vi.fn<() => Promise<DbHandle>>();
const migrate = vi.fn<(handle: DbHandle) => Promise<void>>();
vi.mock("@latchkey/db", () => ({ createDb, migrate }));

const { checkDatabase, closeDb, getAuthCacheHealth, getDb } = await import("./db.server");

function fakeHandle(query: DbHandle["query"] = async () => []): DbHandle {
  return {
    db: {} as DbHandle["db"],
    kind: "pglite",
    queryCount: () => 0,
    query,
    close: vi.fn(async () => {}),
    listen: async (_channel, handlers) => {
      handlers.onUp();
      return { reconnect: async () => {}, backendPid: () => null, close: async () => {} };
    },
  };
}

beforeEach(() => {
  createDb.mockReset();
  migrate.mockReset().mockResolvedValue(undefined);
});

afterEach(async () => {
  await closeDb();
});

describe("the shared database handle", () => {
  test("one handle is created and migrated once, however many callers ask at the same time", async () => {
    const handle = fakeHandle();
    createDb.mockResolvedValue(handle);
    const handles = await Promise.all([getDb(), getDb(), getDb()]);
    expect(new Set(handles)).toEqual(new Set([handle]));
    expect(createDb).toHaveBeenCalledTimes(1);
    expect(migrate).toHaveBeenCalledTimes(1);
  });

  test("a failed start is not cached, so the next call tries again", async () => {
    createDb.mockRejectedValueOnce(new Error("ECONNREFUSED")).mockResolvedValue(fakeHandle());
    await expect(getDb()).rejects.toThrow("ECONNREFUSED");
    await expect(getDb()).resolves.toBeDefined();
    expect(createDb).toHaveBeenCalledTimes(2);
  });

  test("a failed migration closes the handle and is reported", async () => {
    const handle = fakeHandle();
    createDb.mockResolvedValue(handle);
    migrate.mockRejectedValueOnce(new Error("bad migration"));
    await expect(getDb()).rejects.toThrow("bad migration");
    expect(handle.close).toHaveBeenCalled();
  });
});

describe("the auth cache", () => {
  test("starts with the handle, is reported for /health without its reason text, and stops on close", async () => {
    createDb.mockResolvedValue(fakeHandle());
    await getDb();
    expect(await getAuthCacheHealth()).toEqual({ state: "up", since: expect.any(String), entries: 0 });
    await closeDb();
    createDb.mockRejectedValue(new Error("down"));
    expect(await getAuthCacheHealth()).toBeNull();
  });
});

describe("checkDatabase", () => {
  test("is true when the database answers", async () => {
    createDb.mockResolvedValue(fakeHandle());
    await expect(checkDatabase()).resolves.toBe(true);
  });

  test("is false instead of throwing when the database is down", async () => {
    createDb.mockRejectedValue(new Error("ECONNREFUSED"));
    await expect(checkDatabase()).resolves.toBe(false);
  });

  test("is false when the database does not answer in time", async () => {
    createDb.mockResolvedValue(fakeHandle(() => new Promise(() => {})));
    const started = Date.now();
    await expect(checkDatabase(50)).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
