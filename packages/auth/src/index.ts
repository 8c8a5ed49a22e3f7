export * from "./session.ts";
export * from "./password.ts";
export * from "./password-policy.ts";
export * from "./cookies.ts";
export * from "./origin.ts";
export * from "./safe-redirect.ts";
export * from "./permissions.ts";
export * from "./rate-limit.ts";
