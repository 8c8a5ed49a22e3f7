import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "cli/**/*.test.ts"],
    globalSetup: ["../db/test/global-setup.ts"],
    setupFiles: ["./test/fail-on-console-error.ts", "./test/auth-cache-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Every core (Vitest's default leaves one idle: one worker on a 2-core machine).
    maxWorkers: availableParallelism(),
    // A worker imports the router once and runs its files one after another, instead of a new process importing it
    // all again for each of the ~50 files: 41 % less CPU (ADR 028). Each file still has its own database
    // (useTestDb), mocks are restored after every test (test/fail-on-console-error.ts), and no file uses vi.mock.
    isolate: false,
  },
});
