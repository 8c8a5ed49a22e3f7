import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The session tests need the migrated template database; pure tests don't mind it.
    globalSetup: ["../db/test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
