import { describe, expect, test } from "vitest";
import { action, loader } from "./locale";

async function post(fields: Record<string, string>) {
  const request = new Request("http://localhost:3000/locale", { method: "POST", body: new URLSearchParams(fields) });
  return action({ request, params: {}, context: { cspNonce: "test" } });
}

describe("the locale route", () => {
  test("choosing Polish sets the lk_locale cookie and goes back to the page", async () => {
    const response = await post({ locale: "pl-PL", redirectTo: "/org/acme?tab=1" });
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/org/acme?tab=1");
    expect(response.headers.get("Set-Cookie")).toBe("lk_locale=pl-PL; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly");
  });

  test("a redirect to another site goes to / instead", async () => {
    for (const redirectTo of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]) {
      const response = await post({ locale: "pl-PL", redirectTo });
      expect(response.headers.get("Location"), redirectTo).toBe("/");
    }
  });

  test("a missing redirect target goes to /", async () => {
    const response = await post({ locale: "en-US" });
    expect(response.headers.get("Location")).toBe("/");
  });

  test("an unsupported or malicious locale sets no cookie", async () => {
    for (const locale of ["de-DE", "pl-PL; Domain=evil.example", "", "x\r\nSet-Cookie: a=b"]) {
      const response = await post({ locale, redirectTo: "/" });
      expect(response.status, locale).toBe(302);
      expect(response.headers.get("Set-Cookie"), locale).toBeNull();
    }
  });

  test("a GET of /locale just goes home", () => {
    const response = loader();
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/");
  });
});
