/** Reads what the app emailed during the browser tests (written by e2e/mail-sink.js). */
import { readFile } from "node:fs/promises";

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

const file = process.env.E2E_MAIL_LOG;

export async function readMail(): Promise<ReceivedMail[]> {
  if (!file) throw new Error("E2E_MAIL_LOG is not set: run browser tests with `npm run test:e2e -w @latchkey/web`.");
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as ReceivedMail);
}

/** Waits until a message to `address` matching `predicate` arrives. */
export async function waitForMail(address: string, predicate: (mail: ReceivedMail) => boolean = () => true, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = (await readMail()).find((m) => m.to.includes(address) && predicate(m));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no email to ${address} within ${timeoutMs} ms`);
}
