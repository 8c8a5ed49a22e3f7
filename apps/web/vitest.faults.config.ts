import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The fault tests alone, one file at a time (`npm test` runs them after the unit tests; see vitest.config.ts).
export default defineConfig({
  resolve: {
    alias: { "~": fileURLToPath(new URL("./app", import.meta.url)) },
  },
  test: {
    include: ["app/**/*.faults.test.ts"],
    environment: "node",
    fileParallelism: false,
    globalSetup: ["./app/test/global-setup.ts"],
  },
});
