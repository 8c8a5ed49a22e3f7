/**
 * The bench server, run in its own process by `run.ts` so that autocannon does not share its event loop.
 *
 *   BENCH_DATABASE_URL=postgres://…  node --import tsx bench/server.ts   (no URL: in-memory PGlite)
 *
 * Migrates, seeds one org admin with a few projects through the real procedures, then serves on 127.0.0.1:
 *   /api/trpc/ping        a bench-only public procedure doing one trivial query (the baseline)
 *   /api/trpc/*           the real endpoint, `handleTrpcRequest`
 *   GET /__bench/queries  queries sent through drizzle so far, requests answered per route, the auth cache, memory
 *   GET /__bench/raw      the floor: node:http straight to `select 1`, no Fetch conversion, no tRPC
 *   POST /__bench/session, /__bench/member, /__bench/users?n=, /__bench/eld[/reset]: fixtures and the event-loop
 *                         delay histogram for the revocation and sign-in runs (bench only: no such routes in the app)
 * and prints one line `BENCH_READY {json}` on stdout. SIGTERM or SIGINT closes it cleanly (so --cpu-prof is written).
 *
 * BENCH_ROLE=secondary: a second app instance on the same database (no migration, no seed), for the revocation run.
 * BENCH_AUTH_CACHE=0: without the auth cache (every request reads the database).
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { eq, sql } from "drizzle-orm";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createDb, emailAddresses, membershipRoles, memberships, migrate, passwordCredentials, roles, users, type DbHandle } from "@latchkey/db";
import { createSession, hashPassword, sessionCookieName } from "@latchkey/auth";
import { startAuthCache, getAuthCache, type AuthCacheStatus } from "../src/auth-cache.ts";
import { createCaller } from "../src/root.ts";
import { createInnerContext, createRequestContext } from "../src/context.ts";
import { createTRPCRouter, orgProcedure, publicProcedure } from "../src/trpc.ts";
import { handleTrpcRequest } from "../src/http.ts";
import { signUpConfirmed } from "../cli/confirmed-sign-up.ts";

export interface ReadyMessage {
  port: number;
  /** The seeded admin's user id and organization id (fixtures for the revocation run). */
  userId: string;
  orgId: string;
  kind: DbHandle["kind"];
  serverVersion: string;
  cookie: string;
  orgSlug: string;
  projects: number;
}

export interface CountersMessage {
  queries: number;
  inFlight: number;
  requests: { list: number; ping: number; chain: number; raw: number; other: number };
  cache: AuthCacheStatus | null;
  heapUsedBytes: number;
  rssBytes: number;
}

const ENDPOINT = "/api/trpc";
const PING_PATH = `${ENDPOINT}/ping`;
const PASSWORD = "correct horse battery staple";
const PROJECTS = 5;

/** The baseline: same HTTP conversion, same tRPC adapter and context creator, no auth chain, one trivial query. */
const benchRouter = createTRPCRouter({
  ping: publicProcedure.query(async ({ ctx }) => ctx.db.execute(sql`select 1`)),
  /** The auth chain alone: the same middleware as project.list, and a handler that does not touch the database. */
  chain: orgProcedure.permission("org:projects:read").routine().query(({ ctx }) => ({ organizationId: ctx.organization.id })),
});
const BENCH_ROUTES: Record<string, "ping" | "chain"> = { [PING_PATH]: "ping", [`${ENDPOINT}/chain`]: "chain" };

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL || undefined;
  const secondary = process.env.BENCH_ROLE === "secondary";
  const handle = await createDb(url ? { url, max: 10 } : { dataDir: "memory://" });
  if (!secondary) await migrate(handle);
  const log = (line: string) => console.error(line);
  if (process.env.BENCH_AUTH_CACHE !== "0") await startAuthCache(handle, { log });

  const counters: CountersMessage["requests"] = { list: 0, ping: 0, chain: 0, raw: 0, other: 0 };
  let inFlight = 0;
  let appUrl = "http://127.0.0.1";
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();

  const pingHandler = (request: Request) =>
    fetchRequestHandler({
      endpoint: ENDPOINT,
      req: request,
      router: benchRouter,
      createContext: ({ resHeaders }) => createRequestContext({ db: handle.db, request, resHeaders, appUrl, ip: ipOf(request) }),
      responseMeta: () => ({ headers: new Headers({ "Cache-Control": "no-store" }) }),
      // Refusals are expected (the revocation run); only failures are worth a line.
      onError: ({ error }) => {
        if (error.code === "INTERNAL_SERVER_ERROR") log(`[bench] ping failed: ${error.code}`);
      },
    });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (path === "/__bench/queries") {
      const memory = process.memoryUsage();
      const body: CountersMessage = {
        queries: handle.queryCount(),
        inFlight,
        requests: { ...counters },
        cache: getAuthCache(handle.db)?.status() ?? null,
        heapUsedBytes: memory.heapUsed,
        rssBytes: memory.rss,
      };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      return;
    }
    if (path === "/__bench/raw") {
      inFlight++;
      try {
        await handle.db.execute(sql`select 1`);
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end('{"ok":true}');
      } finally {
        inFlight--;
        counters.raw++;
      }
      return;
    }
    if (path.startsWith("/__bench/")) {
      const body = await fixtures(handle, path, new URL(req.url ?? "/", appUrl).searchParams, eld);
      res.writeHead(body === null ? 404 : 200, { "content-type": "application/json" }).end(JSON.stringify(body));
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
            ? await handleTrpcRequest(request, { db: handle.db, appUrl, ip: ipOf(request), log })
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

  // The secondary serves the primary's fixtures: it is told the app URL (cookie names depend on it) by the primary.
  if (process.env.BENCH_APP_URL) appUrl = process.env.BENCH_APP_URL;
  const seed = secondary ? { token: "", orgSlug: "", userId: "", orgId: "" } : await seedAdminWithProjects(handle, appUrl);
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
    userId: seed.userId,
    orgId: seed.orgId,
    kind: handle.kind,
    serverVersion: versionRow?.server_version ?? "unknown",
    cookie: `${sessionCookieName(appUrl)}=${seed.token}`,
    orgSlug: seed.orgSlug,
    projects: PROJECTS,
  };
  process.stdout.write(`BENCH_READY ${JSON.stringify(ready)}\n`);
}

/** One sign-up, one org (the creator becomes org:admin), a few projects: all through the real procedures. */
async function seedAdminWithProjects(handle: DbHandle, appUrl: string): Promise<{ token: string; orgSlug: string; userId: string; orgId: string }> {
  const api = (token: string | null, orgSlug: string | null = null) => {
    const resHeaders = new Headers();
    const ctx = createInnerContext({ db: handle.db, appUrl, resHeaders, sessionToken: token, orgSlug, ip: "127.0.0.1", userAgent: "latchkey-bench" });
    return { caller: createCaller(ctx), resHeaders };
  };
  const suffix = Math.random().toString(36).slice(2, 8);
  const { token, userId } = await signUpConfirmed(
    handle.db,
    { email: `bench-${suffix}@example.test`, password: PASSWORD, firstName: "Bench" },
    { appUrl, ip: "127.0.0.1", userAgent: "latchkey-bench" },
  );
  const org = await api(token).caller.organization.create({ name: "Bench Org", slug: `bench-${suffix}` });
  for (let i = 1; i <= PROJECTS; i++) await api(token, org.slug).caller.project.create({ name: `Project ${i}` });
  const listed = await api(token, org.slug).caller.project.list();
  if (listed.length !== PROJECTS) throw new Error(`seeded ${PROJECTS} projects but project.list returned ${listed.length}`);
  return { token, orgSlug: org.slug, userId, orgId: org.id };
}

/** The client address: `x-bench-ip` when given (the sign-in run spreads its attempts over addresses), else loopback. */
function ipOf(request: Request): string {
  return request.headers.get("x-bench-ip") ?? "127.0.0.1";
}

let benchPasswordHash: Promise<string> | undefined;

/**
 * Fixtures written straight to the tables, so the timed runs don't pay for argon2 or rate limits while setting up:
 *   /__bench/session?user=ID      a new session of that user → { token, sessionId }
 *   /__bench/member?org=ID        a new user, member (org:member) of that org, signed in → { token, sessionId, userId, membershipId }
 *   /__bench/users?n=N            N users with the bench password → { emails }
 *   /__bench/eld/reset, /__bench/eld   the event-loop delay histogram (ms)
 */
async function fixtures(handle: DbHandle, path: string, params: URLSearchParams, eld: ReturnType<typeof monitorEventLoopDelay>): Promise<unknown> {
  const now = new Date();
  if (path === "/__bench/session") {
    const { session, token } = await createSession(handle.db, { userId: params.get("user") ?? "", now, ip: "127.0.0.1", userAgent: "latchkey-bench" });
    return { token, sessionId: session.id };
  }
  if (path === "/__bench/member") {
    const [user] = await handle.db.insert(users).values({ firstName: "Member" }).returning({ id: users.id });
    const [membership] = await handle.db.insert(memberships).values({ organizationId: params.get("org") ?? "", userId: user!.id }).returning({ id: memberships.id });
    const [role] = await handle.db.select({ id: roles.id }).from(roles).where(eq(roles.key, "org:member"));
    await handle.db.insert(membershipRoles).values({ membershipId: membership!.id, roleId: role!.id });
    const { session, token } = await createSession(handle.db, { userId: user!.id, now, ip: "127.0.0.1", userAgent: "latchkey-bench" });
    return { token, sessionId: session.id, userId: user!.id, membershipId: membership!.id };
  }
  if (path === "/__bench/users") {
    benchPasswordHash ??= hashPassword(PASSWORD);
    const hash = await benchPasswordHash;
    const n = Math.min(Number(params.get("n") ?? "100"), 1000);
    const suffix = Math.random().toString(36).slice(2, 8);
    const emails: string[] = [];
    for (let i = 0; i < n; i++) {
      const email = `signin-${suffix}-${i}@example.test`;
      const [user] = await handle.db.insert(users).values({ firstName: "Signin" }).returning({ id: users.id });
      await handle.db.insert(emailAddresses).values({ userId: user!.id, email, isPrimary: true, verifiedAt: now });
      await handle.db.insert(passwordCredentials).values({ userId: user!.id, hash });
      emails.push(email);
    }
    return { emails };
  }
  if (path === "/__bench/eld/reset") {
    eld.reset();
    return { ok: true };
  }
  if (path === "/__bench/eld") {
    return { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6, mean: eld.mean / 1e6 };
  }
  return null;
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
