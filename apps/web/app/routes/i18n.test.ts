/** `/i18n/:locale/:namespace`: the strings a client navigation fetches (ADR 029). */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { getDictionaryVersion } from "~/i18n/versions.server";
import { loader } from "./i18n.$locale.$namespace";

function load(locale: string, namespace: string, version?: string): Response {
  const query = version === undefined ? "" : `?v=${version}`;
  const request = new Request(`http://localhost/i18n/${locale}/${namespace}${query}`);
  try {
    return loader({ request, params: { locale, namespace }, context: {} } as unknown as LoaderFunctionArgs);
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

describe("/i18n/:locale/:namespace", () => {
  test("answers the namespace's keys in that language, cacheable for good under the current version", async () => {
    const response = load("pl-PL", "security", getDictionaryVersion("pl-PL"));
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    const body = (await response.json()) as Record<string, string>;
    expect(Object.keys(body).length).toBeGreaterThan(10);
    expect(Object.keys(body).every((key) => key.startsWith("security."))).toBe(true);
    expect(body["security.title"]).not.toBe("Security");
  });

  test("a deeper prefix answers only the keys under it", async () => {
    const body = (await load("en-US", "user.manageAccount", getDictionaryVersion("en-US")).json()) as Record<string, string>;
    expect(body).toEqual({ "user.manageAccount": "Manage account" });
  });

  test("under an old or missing version the strings are current but not to be cached", () => {
    expect(load("en-US", "security", "stale").headers.get("Cache-Control")).toBe("no-cache");
    expect(load("en-US", "security").headers.get("Cache-Control")).toBe("no-cache");
  });

  test("an unknown language or namespace is a 404, not an empty answer", () => {
    expect(load("xx-XX", "security").status).toBe(404);
    expect(load("en-US", "nope").status).toBe(404);
    expect(load("en-US", "secur").status).toBe(404);
  });

  test("the versions differ per language and are short", () => {
    expect(getDictionaryVersion("en-US")).toMatch(/^[\w-]{10}$/);
    expect(getDictionaryVersion("en-US")).not.toBe(getDictionaryVersion("pl-PL"));
  });
});
