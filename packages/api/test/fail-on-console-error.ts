import { afterEach, vi } from "vitest";

// As in the Epic Stack: an unexpected console.error fails the test that caused it.
// Files share a worker (isolate: false), so console.error is wrapped once per worker and each file reads what was
// logged since its previous test.
const seen = globalThis as typeof globalThis & { __consoleErrors?: unknown[][] };
if (!seen.__consoleErrors) {
  seen.__consoleErrors = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    seen.__consoleErrors!.push(args);
    original(...args);
  };
}
afterEach(() => {
  const errors = seen.__consoleErrors!.splice(0);
  vi.restoreAllMocks();
  if (errors.length > 0) throw new Error(`console.error was called: ${String(errors[0]?.[0])}`);
});
