/**
 * The bench server, run in its own process by `run.ts` so that autocannon does not share its event loop.
 *
 *   BENCH_DATABASE_URL=postgres://…  node --import tsx bench/server.ts   (no URL: in-memory PGlite)
 *
 * Migrates, seeds one org admin with a few projects through the real procedures, then serves on 127.0.0.1:
 *   /api/trpc/ping        a bench-only public procedure doing one trivial query (the baseline)
 *   /api/trpc/*           the real endpoint, `handleTrpcRequest`
 *   GET /__bench/queries  queries sent through drizzle so far and requests answered per route
 * and prints one line `BENCH_READY {json}` on stdout. SIGTERM or SIGINT closes it cleanly (so --cpu-prof is written).
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createDb, migrate, type DbHandle } from "@latchkey/db";
import { sessionCookieName } from "@latchkey/auth";
import { createCaller } from "../src/root.ts";
import { createInnerContext, createRequestContext } from "../src/context.ts";
import { createTRPCRouter, hasPermission, orgProcedure, publicProcedure } from "../src/trpc.ts";
import { handleTrpcRequest } from "../src/http.ts";
import { signUpConfirmed } from "../cli/confirmed-sign-up.ts";

export interface ReadyMessage {
  port: number;
  kind: DbHandle["kind"];
  serverVersion: string;
  cookie: string;
  orgSlug: string;
  projects: number;
}

export interface CountersMessage {
  queries: number;
  inFlight: number;
  requests: { list: number; ping: number; chain: number; other: number };
}

const ENDPOINT = "/api/trpc";
const PING_PATH = `${ENDPOINT}/ping`;
const PASSWORD = "correct horse battery staple";
const PROJECTS = 5;

/** The baseline: same HTTP conversion, same tRPC adapter and context creator, no auth chain, one trivial query. */
const benchRouter = createTRPCRouter({
  ping: publicProcedure.query(async ({ ctx }) => ctx.db.execute(sql`select 1`)),
  /** The auth chain alone: the same middleware as project.list, and a handler that does not touch the database. */
  chain: orgProcedure.use(hasPermission("org:projects:read")).query(({ ctx }) => ({ organizationId: ctx.organization.id })),
});
const BENCH_ROUTES: Record<string, "ping" | "chain"> = { [PING_PATH]: "ping", [`${ENDPOINT}/chain`]: "chain" };

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL || undefined;
  const handle = await createDb(url ? { url, max: 10 } : { dataDir: "memory://" });
  await migrate(handle);

  const counters: CountersMessage["requests"] = { list: 0, ping: 0, chain: 0, other: 0 };
  let inFlight = 0;
  let appUrl = "http://127.0.0.1";
  const ip = "127.0.0.1";
  const log = (line: string) => console.error(line);

  const pingHandler = (request: Request) =>
    fetchRequestHandler({
      endpoint: ENDPOINT,
      req: request,
      router: benchRouter,
      createContext: ({ resHeaders }) => createRequestContext({ db: handle.db, request, resHeaders, appUrl, ip }),
      responseMeta: () => ({ headers: new Headers({ "Cache-Control": "no-store" }) }),
      onError: ({ error }) => log(`[bench] ping failed: ${error.code}`),
    });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (path === "/__bench/queries") {
      const body: CountersMessage = { queries: handle.queryCount(), inFlight, requests: { ...counters } };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      return;
    }
    const route = BENCH_ROUTES[path] ?? (path === `${ENDPOINT}/project.list` ? "list" : "other");
    inFlight++;
    try {
      const request = await toRequest(req, appUrl);
      const response =
        route === "ping" || route === "chain"
          ? await pingHandler(request)
          : path.startsWith(`${ENDPOINT}/`)
            ? await handleTrpcRequest(request, { db: handle.db, appUrl, ip, log })
            : new Response("Not found", { status: 404 });
      await sendResponse(res, response);
    } finally {
      inFlight--;
      counters[route]++;
    }
  }

  const server = http.createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      log(`[bench] request failed: ${error instanceof Error ? error.name : "error"}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  appUrl = `http://127.0.0.1:${port}`;

  const seed = await seedAdminWithProjects(handle, appUrl);
  const [versionRow] = await handle.query<{ server_version: string }>("show server_version");

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await handle.close().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown());
  process.on("SIGINT", () => void shutdown());

  const ready: ReadyMessage = {
    port,
    kind: handle.kind,
    serverVersion: versionRow?.server_version ?? "unknown",
    cookie: `${sessionCookieName(appUrl)}=${seed.token}`,
    orgSlug: seed.orgSlug,
    projects: PROJECTS,
  };
  process.stdout.write(`BENCH_READY ${JSON.stringify(ready)}\n`);
}

/** One sign-up, one org (the creator becomes org:admin), a few projects: all through the real procedures. */
async function seedAdminWithProjects(handle: DbHandle, appUrl: string): Promise<{ token: string; orgSlug: string }> {
  const api = (token: string | null, orgSlug: string | null = null) => {
    const resHeaders = new Headers();
    const ctx = createInnerContext({ db: handle.db, appUrl, resHeaders, sessionToken: token, orgSlug, ip: "127.0.0.1", userAgent: "latchkey-bench" });
    return { caller: createCaller(ctx), resHeaders };
  };
  const suffix = Math.random().toString(36).slice(2, 8);
  const { token } = await signUpConfirmed(
    handle.db,
    { email: `bench-${suffix}@example.test`, password: PASSWORD, firstName: "Bench" },
    { appUrl, ip: "127.0.0.1", userAgent: "latchkey-bench" },
  );
  const org = await api(token).caller.organization.create({ name: "Bench Org", slug: `bench-${suffix}` });
  for (let i = 1; i <= PROJECTS; i++) await api(token, org.slug).caller.project.create({ name: `Project ${i}` });
  const listed = await api(token, org.slug).caller.project.list();
  if (listed.length !== PROJECTS) throw new Error(`seeded ${PROJECTS} projects but project.list returned ${listed.length}`);
  return { token, orgSlug: org.slug };
}

/** IncomingMessage → Fetch Request, as a Node adapter (Remix's, for one) does it. */
async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const method = req.method ?? "GET";
  const init: RequestInit = { method, headers };
  if (method !== "GET" && method !== "HEAD") {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    init.body = Buffer.concat(chunks);
  }
  return new Request(`${origin}${req.url ?? "/"}`, init);
}

async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(body);
}

main().catch((error: unknown) => {
  console.error("[bench] server failed to start:", error);
  process.exit(1);
});
