import { fileURLToPath } from "node:url";
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Unit tests only; browser tests have their own config (vitest.e2e.config.ts) and runner (e2e/run.js).
export default defineConfig({
  resolve: {
    alias: { "~": fileURLToPath(new URL("./app", import.meta.url)) },
  },
  test: {
    // Every core (Vitest's default leaves one idle: one worker on a 2-core machine).
    maxWorkers: availableParallelism(),
    include: ["app/**/*.test.{ts,tsx}", "server/**/*.test.js"],
    // The outage fault test stops and freezes a real Postgres and bounds every request's wait: it runs alone after the
    // rest (vitest.faults.config.ts), because CPU taken by other test files shows up as its requests' waiting time.
    exclude: ["e2e/**", "build/**", "node_modules/**", "**/*.faults.test.ts"],
    environment: "node",
    // Migrates one in-memory PGlite once; each route test file loads a copy instead of migrating its own.
    globalSetup: ["./app/test/global-setup.ts"],
  },
});
