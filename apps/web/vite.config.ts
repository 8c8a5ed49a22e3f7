import { vitePlugin as remix } from "@remix-run/dev";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  plugins: [
    tailwindcss(),
    remix({
      // Tests sit beside the routes they test; they are not routes.
      ignoredRouteFiles: ["**/*.test.{ts,tsx}", "**/.*"],
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
      },
    }),
  ],
  resolve: {
    alias: { "~": new URL("./app", import.meta.url).pathname },
  },
  // The dependency scanner follows server imports; native and WASM packages must not be pre-bundled.
  optimizeDeps: {
    exclude: ["@node-rs/argon2", "@electric-sql/pglite"],
  },
  ssr: {
    // Workspace packages are TypeScript source: bundle them. Native and large drivers stay in node_modules.
    noExternal: [/^@latchkey\//],
    external: ["@node-rs/argon2", "@electric-sql/pglite", "postgres"],
  },
});
