export * from "./sender.ts";
export { smsCodeBody } from "./messages.ts";
