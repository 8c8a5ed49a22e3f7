/**
 * A real SMTP server for the browser tests: the app under test sends to it (SMTP_URL), and every message is appended
 * to a JSON Lines file that tests read (see e2e/mail.ts).
 */
import { appendFile } from "node:fs/promises";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * @param {string} file where received messages are appended, one JSON object a line
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function startMailSink(file) {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          const line = { to, subject: mail.subject ?? "", text: mail.text ?? "", html: typeof mail.html === "string" ? mail.html : "" };
          await appendFile(file, `${JSON.stringify(line)}\n`);
          callback();
        })
        .catch((error) => callback(error));
    },
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = /** @type {import("node:net").AddressInfo} */ (server.server.address());
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}
