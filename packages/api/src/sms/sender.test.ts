import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpSmsSender, createSmsSenderFromEnv, listSmsOutbox, clearSmsOutbox, SmsDeliveryError } from "./sender.ts";
import { smsCodeBody } from "./messages.ts";

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A stand-in for the carrier on 127.0.0.1: records each request and answers as `next` says. */
let server: Server;
let base: string;
const received: Received[] = [];
let next: (res: ServerResponse) => void = (res) => res.writeHead(201, { "content-type": "application/json" }).end('{"sid":"SM1"}');

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      next(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const options = () => ({ apiUrl: `${base}/`, accountSid: "AC123", authToken: "s3cret-token", from: "+15005550006" });

describe("the HTTP SMS transport", () => {
  it("posts To, From and Body as a form to the Twilio-style path with basic auth", async () => {
    received.length = 0;
    next = (res) => res.writeHead(201).end("{}");
    await createHttpSmsSender(options()).send({ to: "+48601234567", body: "123456 is your code" });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.method).toBe("POST");
    expect(request!.url).toBe("/2010-04-01/Accounts/AC123/Messages.json");
    expect(request!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from("AC123:s3cret-token").toString("base64")}`);
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({ To: "+48601234567", From: "+15005550006", Body: "123456 is your code" });
  });

  it("treats a non-2xx answer as a failure that names only the status", async () => {
    next = (res) => res.writeHead(400, { "content-type": "application/json" }).end('{"message":"The To number +48601234567 is invalid: 123456"}');
    const error = await createHttpSmsSender(options())
      .send({ to: "+48601234567", body: "123456 is your code" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect((error as SmsDeliveryError).status).toBe(400);
    expect((error as Error).message).toBe("SMS API answered 400");
    for (const secret of ["123456", "s3cret-token", "+48601234567"]) expect((error as Error).message).not.toContain(secret);
  });

  it("gives up after the timeout", async () => {
    next = () => undefined; // never answers
    const started = Date.now();
    const error = await createHttpSmsSender({ ...options(), timeoutMs: 200 })
      .send({ to: "+48601234567", body: "x" })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("SMS API did not answer within 200 ms");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("fails cleanly when nothing listens", async () => {
    const error = await createHttpSmsSender({ ...options(), apiUrl: "http://127.0.0.1:1" })
      .send({ to: "+48601234567", body: "x" })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("SMS API could not be reached");
  });
});

describe("choosing a sender from the environment", () => {
  it("uses the development outbox outside production and none in production without configuration", async () => {
    clearSmsOutbox();
    const dev = createSmsSenderFromEnv({ NODE_ENV: "development" });
    await dev!.send({ to: "+48601234567", body: "hello" });
    expect(listSmsOutbox().map((m) => [m.to, m.body])).toEqual([["+48601234567", "hello"]]);
    expect(createSmsSenderFromEnv({ NODE_ENV: "production" })).toBeNull();
    expect(() => createSmsSenderFromEnv({ SMS_API_URL: "https://api.example" })).toThrow(/SMS_ACCOUNT_SID/);
    clearSmsOutbox();
  });

  it("writes codes in the user's language with a WebOTP line", () => {
    expect(smsCodeBody({ kind: "sms_second_factor", code: "123456", locale: "pl-PL", host: "auth.example.com" })).toBe(
      "123456 to Twój kod logowania Latchkey. Wygaśnie za 10 minut. Nie podawaj go nikomu.\n\n@auth.example.com #123456",
    );
    expect(smsCodeBody({ kind: "phone_verification", code: "654321", locale: null })).toMatch(/^654321 is your Latchkey code/);
  });
});
