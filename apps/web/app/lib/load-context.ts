import type { AppLoadContext } from "@remix-run/node";

// What server.js passes to every loader and action as `context` (and to `guardRequest`).
declare module "@remix-run/server-runtime" {
  interface AppLoadContext {
    /** The nonce of this response's Content-Security-Policy; put it on every inline script. */
    cspNonce: string;
  }
}

export type LatchkeyLoadContext = AppLoadContext;
