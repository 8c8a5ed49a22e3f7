import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "cli/**/*.test.ts"],
    globalSetup: ["../db/test/global-setup.ts"],
    setupFiles: ["./test/fail-on-console-error.ts", "./test/auth-cache-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
