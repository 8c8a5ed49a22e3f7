import express from "express";
import { afterEach, describe, expect, test } from "vitest";
import { createGuardedRequestHandler } from "./remix-handler.js";

/** @typedef {{ cspNonce: string }} LoadContext */

/** @type {import("node:http").Server[]} */
const servers = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/**
 * Serves the handler on a free port, with a fixed nonce in res.locals as the security middleware would set.
 * @param {{ guardRequest?: (request: Request, context: LoadContext) => Promise<Response | null | undefined> }} entryModule
 * @param {(request: Request, context: LoadContext) => Promise<Response>} handleRequest
 */
async function serve(entryModule, handleRequest) {
  const app = express();
  app.use((_req, res, next) => {
    res.locals.cspNonce = "nonce-1";
    next();
  });
  app.all("*", createGuardedRequestHandler({ getBuild: async () => ({ entry: { module: entryModule } }), handleRequest }));
  app.use(
    /** @type {import("express").ErrorRequestHandler} */
    (_error, _req, res, _next) => {
      res.status(500).send("Internal Server Error");
    },
  );
  const server = app.listen(0, "127.0.0.1");
  servers.push(server);
  await new Promise((resolve) => server.once("listening", resolve));
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  return `http://127.0.0.1:${address.port}`;
}

const remixAnswers = async () => new Response("from remix", { status: 200 });

describe("the guard hook in front of Remix", () => {
  test("a Response from the guard is sent as is, with every Set-Cookie, and Remix is not called", async () => {
    let remixCalled = false;
    const headers = new Headers({ Location: "/sign-in", "X-Guard": "yes" });
    headers.append("Set-Cookie", "a=1; Path=/; HttpOnly");
    headers.append("Set-Cookie", "b=2; Path=/; HttpOnly");
    const base = await serve({ guardRequest: async () => new Response("go away", { status: 303, headers }) }, async () => {
      remixCalled = true;
      return remixAnswers();
    });
    const response = await fetch(`${base}/org/acme`, { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/sign-in");
    expect(response.headers.get("x-guard")).toBe("yes");
    expect(response.headers.getSetCookie()).toEqual(["a=1; Path=/; HttpOnly", "b=2; Path=/; HttpOnly"]);
    expect(await response.text()).toBe("go away");
    expect(remixCalled).toBe(false);
  });

  test("when the guard returns null, Remix gets the very same request and context objects", async () => {
    /** @type {unknown[]} */
    const seenByGuard = [];
    /** @type {unknown[]} */
    const seenByRemix = [];
    const base = await serve(
      {
        guardRequest: async (request, context) => {
          seenByGuard.push(request, context);
          return null;
        },
      },
      async (request, context) => {
        seenByRemix.push(request, context);
        return remixAnswers();
      },
    );
    const response = await fetch(`${base}/org/acme?tab=1`, { method: "POST", body: "x=1" });
    expect(await response.text()).toBe("from remix");
    expect(seenByRemix[0]).toBe(seenByGuard[0]);
    expect(seenByRemix[1]).toBe(seenByGuard[1]);
    expect(seenByRemix[1]).toEqual({ cspNonce: "nonce-1", clientIp: expect.any(String) });
    const request = /** @type {Request} */ (seenByRemix[0]);
    expect(new URL(request.url).pathname + new URL(request.url).search).toBe("/org/acme?tab=1");
    expect(request.method).toBe("POST");
  });

  test("the request body is still readable by Remix after the guard looked at the headers", async () => {
    const base = await serve({ guardRequest: async () => undefined }, async (request) => new Response(await request.text()));
    const response = await fetch(`${base}/locale`, { method: "POST", body: "locale=pl-PL" });
    expect(await response.text()).toBe("locale=pl-PL");
  });

  test("a thrown Response counts as a returned one", async () => {
    const base = await serve(
      {
        guardRequest: async () => {
          throw new Response("forbidden", { status: 403 });
        },
      },
      remixAnswers,
    );
    const response = await fetch(`${base}/admin`);
    expect(response.status).toBe(403);
    expect(await response.text()).toBe("forbidden");
  });

  test("any other error from the guard becomes a 500", async () => {
    const base = await serve(
      {
        guardRequest: async () => {
          throw new Error("database down");
        },
      },
      remixAnswers,
    );
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("database down");
  });

  test("without a guard, Remix answers", async () => {
    const base = await serve({}, remixAnswers);
    await expect((await fetch(`${base}/`)).text()).resolves.toBe("from remix");
  });

  test("headers from the response replace earlier defaults instead of duplicating them", async () => {
    const app = express();
    app.use((_req, res, next) => {
      res.locals.cspNonce = "n";
      res.set("X-Frame-Options", "DENY");
      next();
    });
    app.all(
      "*",
      createGuardedRequestHandler({
        getBuild: async () => ({ entry: { module: {} } }),
        handleRequest: async () => new Response("ok", { headers: { "X-Frame-Options": "SAMEORIGIN" } }),
      }),
    );
    const server = app.listen(0, "127.0.0.1");
    servers.push(server);
    await new Promise((resolve) => server.once("listening", resolve));
    const address = /** @type {import("node:net").AddressInfo} */ (server.address());
    const response = await fetch(`http://127.0.0.1:${address.port}/`);
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });
});
