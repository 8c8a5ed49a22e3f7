import { defineConfig } from "vitest/config";

// Browser tests, run by e2e/run.js against a production server it starts (E2E_BASE_URL).
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
