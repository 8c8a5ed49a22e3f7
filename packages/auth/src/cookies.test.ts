import { describe, expect, it } from "vitest";
import {
  parseCookies,
  readSessionToken,
  serializeClearSessionCookie,
  serializeCookie,
  serializeSessionCookie,
  sessionCookieName,
} from "./cookies.ts";

const httpsApp = "https://auth.example.com";
const httpApp = "http://localhost:3000";
const expires = new Date("2030-01-02T03:04:05Z");

function attributes(setCookie: string): string[] {
  return setCookie.split("; ").slice(1);
}

describe("sessionCookieName", () => {
  it("an https app uses the __Host- prefix and an http app a plain name", () => {
    expect(sessionCookieName(httpsApp)).toBe("__Host-latchkey_session");
    expect(sessionCookieName("https://example.com:8443/base/")).toBe("__Host-latchkey_session");
    expect(sessionCookieName(httpApp)).toBe("latchkey_session");
  });
});

describe("serializeSessionCookie", () => {
  it("over https the cookie is __Host-, Secure, HttpOnly, SameSite=Lax, Path=/ and has no Domain", () => {
    const cookie = serializeSessionCookie("tok123", { appUrl: httpsApp, expires });
    expect(cookie.startsWith("__Host-latchkey_session=tok123; ")).toBe(true);
    expect(attributes(cookie)).toEqual([
      "Expires=Wed, 02 Jan 2030 03:04:05 GMT",
      "Path=/",
      "HttpOnly",
      "Secure",
      "SameSite=Lax",
    ]);
    expect(cookie.toLowerCase()).not.toContain("domain");
  });

  it("over http the cookie drops Secure and the prefix but keeps HttpOnly and SameSite", () => {
    const cookie = serializeSessionCookie("tok123", { appUrl: httpApp, expires });
    expect(cookie.startsWith("latchkey_session=tok123; ")).toBe(true);
    expect(attributes(cookie)).toEqual(["Expires=Wed, 02 Jan 2030 03:04:05 GMT", "Path=/", "HttpOnly", "SameSite=Lax"]);
  });
});

describe("serializeClearSessionCookie", () => {
  it("clearing sets Max-Age=0 with the same name and attributes", () => {
    const cookie = serializeClearSessionCookie(httpsApp);
    expect(cookie.startsWith("__Host-latchkey_session=; ")).toBe(true);
    expect(attributes(cookie)).toEqual(
      expect.arrayContaining(["Max-Age=0", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"]),
    );
    expect(serializeClearSessionCookie(httpApp)).toMatch(/^latchkey_session=; Max-Age=0; /);
    expect(serializeClearSessionCookie(httpApp)).not.toContain("Secure");
  });
});

describe("serializeCookie", () => {
  it("defaults to HttpOnly, SameSite=Lax and Path=/", () => {
    expect(serializeCookie("a", "b", { secure: false })).toBe("a=b; Path=/; HttpOnly; SameSite=Lax");
  });

  it("honours each option", () => {
    expect(
      serializeCookie("a", "b", { secure: true, httpOnly: false, sameSite: "Strict", path: "/app", maxAge: 60.9 }),
    ).toBe("a=b; Max-Age=60; Path=/app; Secure; SameSite=Strict");
  });

  it("encodes the value so separators can't inject attributes", () => {
    const cookie = serializeCookie("a", "x; Domain=evil.com", { secure: false });
    expect(cookie.startsWith("a=x%3B%20Domain%3Devil.com; ")).toBe(true);
    expect(cookie).not.toContain("Domain=");
  });

  it("rejects a name or path that would break the header", () => {
    expect(() => serializeCookie("a b", "v", { secure: false })).toThrow(TypeError);
    expect(() => serializeCookie("a=b", "v", { secure: false })).toThrow(TypeError);
    expect(() => serializeCookie("", "v", { secure: false })).toThrow(TypeError);
    expect(() => serializeCookie("a", "v", { secure: false, path: "/; Domain=evil.com" })).toThrow(TypeError);
    expect(() => serializeCookie("a", "v", { secure: false, maxAge: Number.NaN })).toThrow(TypeError);
    expect(() => serializeCookie("a", "v", { secure: false, expires: new Date("nope") })).toThrow(TypeError);
  });

  it("refuses a __Host- cookie that is not Secure or not on Path=/", () => {
    expect(() => serializeCookie("__Host-x", "v", { secure: false })).toThrow(TypeError);
    expect(() => serializeCookie("__Host-x", "v", { secure: true, path: "/app" })).toThrow(TypeError);
    expect(() => serializeCookie("__Secure-x", "v", { secure: false })).toThrow(TypeError);
  });
});

describe("parseCookies", () => {
  it("reads several cookies and decodes their values", () => {
    expect({ ...parseCookies("a=1; b=hello%20world;c=\"quoted\"") }).toEqual({ a: "1", b: "hello world", c: "quoted" });
  });

  it("the first cookie of a name wins", () => {
    expect(parseCookies("a=first; a=second").a).toBe("first");
  });

  it("garbage headers give what can be read and never throw", () => {
    for (const header of ["", ";;;", "=", "=novalue", "noequals", "a", "%", "a=%E0%A4%A", "\u0000=\u0000", "a=b=c; ; d"]) {
      expect(() => parseCookies(header), header).not.toThrow();
    }
    expect({ ...parseCookies("a=%E0%A4%A") }).toEqual({ a: "%E0%A4%A" });
    expect({ ...parseCookies("a=b=c; ; d; =x") }).toEqual({ a: "b=c" });
    expect({ ...parseCookies(null) }).toEqual({});
    expect({ ...parseCookies(undefined) }).toEqual({});
    expect({ ...parseCookies(42 as unknown as string) }).toEqual({});
  });

  it("a __proto__ cookie can't pollute prototypes", () => {
    const cookies = parseCookies("__proto__=polluted; constructor=x; toString=y");
    expect(Object.getPrototypeOf(cookies)).toBeNull();
    expect(Object.keys(cookies)).not.toContain("__proto__");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(cookies.constructor).toBe("x");
  });

  it("an absent cookie reads as undefined, not an inherited property", () => {
    const cookies = parseCookies("a=1");
    expect(cookies.hasOwnProperty).toBeUndefined();
    expect(cookies.toString).toBeUndefined();
  });
});

describe("readSessionToken", () => {
  it("reads the prefixed cookie over https and ignores an unprefixed copy", () => {
    expect(readSessionToken("__Host-latchkey_session=abc", httpsApp)).toBe("abc");
    expect(readSessionToken("latchkey_session=planted", httpsApp)).toBeNull();
    expect(readSessionToken("latchkey_session=planted; __Host-latchkey_session=abc", httpsApp)).toBe("abc");
  });

  it("reads the plain cookie over http", () => {
    expect(readSessionToken("other=1; latchkey_session=abc", httpApp)).toBe("abc");
    expect(readSessionToken("__Host-latchkey_session=abc", httpApp)).toBeNull();
  });

  it("an empty, missing or garbage header gives null", () => {
    expect(readSessionToken("latchkey_session=", httpApp)).toBeNull();
    expect(readSessionToken("", httpApp)).toBeNull();
    expect(readSessionToken(null, httpApp)).toBeNull();
    expect(readSessionToken(undefined, httpsApp)).toBeNull();
    expect(readSessionToken(";;==;", httpsApp)).toBeNull();
  });

  it("a token written by serializeSessionCookie reads back unchanged", () => {
    const token = "abc-DEF_123.~+/=";
    const setCookie = serializeSessionCookie(token, { appUrl: httpsApp, expires });
    const pair = setCookie.split("; ")[0]!;
    expect(readSessionToken(pair, httpsApp)).toBe(token);
  });
});
