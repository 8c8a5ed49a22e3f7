/**
 * The real Remix request handler over a few real route modules, with the guard in front, as server.js runs them:
 * guardRequest → (protectRoutes(build)) → Remix. Documents are rendered by entry.server.tsx; single-fetch `.data`
 * requests and no-JavaScript form posts go through Remix's own code paths. For tests that need the whole request
 * pipeline rather than one loader or action (outages, proxy headers).
 *
 *   const server = createRemixServer({ "routes/sign-in": { path: "sign-in", module: await import("~/routes/sign-in") } });
 *   const response = await server.fetch(new Request("http://localhost:3000/sign-in"));
 */
import { createRequestHandler, type ServerBuild } from "@remix-run/node";
import * as entry from "~/entry.server";
import * as root from "~/root";

interface TestRoute {
  path?: string;
  index?: boolean;
  module: Record<string, unknown>;
}

type Mode = "development" | "production";

function buildOf(routes: Record<string, TestRoute>): ServerBuild {
  const all: Record<string, TestRoute & { parentId?: string }> = { root: { path: "", module: root }, ...routes };
  const serverRoutes: ServerBuild["routes"] = {};
  const manifestRoutes: Record<string, unknown> = {};
  for (const [id, route] of Object.entries(all)) {
    const parentId = id === "root" ? undefined : "root";
    const base = { id, parentId, path: route.path, index: route.index, caseSensitive: undefined };
    serverRoutes[id] = { ...base, module: route.module } as unknown as ServerBuild["routes"][string];
    manifestRoutes[id] = {
      ...base,
      module: `/test/${id}.js`,
      imports: [],
      hasAction: typeof route.module.action === "function",
      hasLoader: typeof route.module.loader === "function",
      hasClientAction: false,
      hasClientLoader: false,
      hasErrorBoundary: typeof route.module.ErrorBoundary === "function",
    };
  }
  return {
    mode: "production",
    entry: { module: entry },
    routes: serverRoutes,
    assets: { entry: { module: "/test/entry.client.js", imports: [] }, routes: manifestRoutes, url: "/test/manifest.js", version: "test" },
    basename: "/",
    publicPath: "/",
    assetsBuildDirectory: "build/client",
    future: { v3_fetcherPersist: true, v3_relativeSplatPath: true, v3_throwAbortReason: true, v3_singleFetch: true, v3_lazyRouteDiscovery: true },
    isSpaMode: false,
  } as unknown as ServerBuild;
}

export function createRemixServer(routes: Record<string, TestRoute>, mode: Mode = "production") {
  const build = buildOf(routes);
  // As server.js does: the entry module may wrap the build (it is absent before ADR 026).
  const hooks = entry as unknown as { protectRoutes?: (build: ServerBuild) => ServerBuild };
  const served = hooks.protectRoutes ? hooks.protectRoutes(build) : build;
  const handle = createRequestHandler(served, mode);
  return {
    /** One request through the guard and Remix, with a load context like server.js's. */
    async fetch(request: Request, clientIp = "127.0.0.1"): Promise<Response> {
      const context = { cspNonce: "test-nonce", clientIp };
      try {
        const guarded = await entry.guardRequest(request, context);
        if (guarded) return guarded;
      } catch (thrown) {
        if (thrown instanceof Response) return thrown;
        throw thrown;
      }
      return handle(request, context);
    },
  };
}
