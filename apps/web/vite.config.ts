import { vitePlugin as remix } from "@remix-run/dev";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig(({ isSsrBuild }) => ({
  // A browser test points this at an empty folder to start the dev server as a newcomer's first run does.
  cacheDir: process.env.LATCHKEY_VITE_CACHE_DIR,
  // The browser's bundle only (ADR 029): the server build stays one readable, unminified file.
  build: isSsrBuild
    ? {}
    : {
        target: "es2022",
        // Terser with three passes saves a few KB that esbuild's minifier leaves in React DOM and the router.
        minify: "terser",
        terserOptions: { module: true, compress: { passes: 3, pure_getters: true }, format: { comments: false } },
        rollupOptions: {
          output: {
            // What every page needs travels as one file (the framework, the strings' code, the form parts every
            // form page shows) instead of a dozen small ones, each with its own request and compression overhead.
            manualChunks(id: string) {
              if (id.includes("vite/preload-helper")) return "ui";
              if (/\/app\/(i18n\/(?!en-US|pl-PL|locales)|components\/(button|text-field|form-page|form-error|form-message|oauth-buttons|lazy-part)\.tsx)/.test(id)) return "ui";
              return undefined;
            },
          },
        },
      },
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
        // Scan every route for dependencies when the dev server starts. Without it Vite discovers client
        // dependencies (React Query, the tRPC client) on the first visit to a page that needs them, re-optimizes and
        // reloads, and that first visit crashes with two copies of React.
        unstable_optimizeDeps: true,
      },
    }),
  ],
  resolve: {
    alias: { "~": new URL("./app", import.meta.url).pathname },
  },
  optimizeDeps: {
    // Client dependencies that must be pre-bundled once, with the single copy of React.
    include: ["@tanstack/react-query", "@trpc/client", "@trpc/react-query", "superjson", "@simplewebauthn/browser"],
    // The scanner also follows the imports of loaders and actions, which never reach the browser: native, WASM and
    // server-only packages are not pre-bundled for the client.
    exclude: [
      "@node-rs/argon2",
      "@electric-sql/pglite",
      "@oslojs/otp",
      "@remix-run/node",
      "@simplewebauthn/server",
      "arctic",
      "drizzle-orm",
      "jose",
      "nodemailer",
      "postgres",
      "qrcode",
    ],
  },
  ssr: {
    // Workspace packages are TypeScript source: bundle them. Native and large drivers stay in node_modules.
    noExternal: [/^@latchkey\//],
    external: ["@node-rs/argon2", "@electric-sql/pglite", "postgres"],
  },
}));
