import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "./mail/index.ts";
import { sendSecurityNotice } from "./security-notice.ts";
import { signUp, uniqueEmail } from "../test/helpers.ts";

const db = useTestDb();

describe("sendSecurityNotice", () => {
  it("emails the user's primary address, naming what changed", async () => {
    const email = uniqueEmail("notice");
    const { userId } = await signUp(db(), email);
    const { mailer, sent } = createMemoryMailer();
    await sendSecurityNotice({ db: db().db, mailer }, userId, "totp_added");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: email, kind: "security-notice", values: { event: "totp_added" } });
    expect(sent[0]!.subject).toContain("Security settings");
    expect(sent[0]!.text).toContain("An authenticator app was added to your account");
  });

  it("sends nothing for an unknown user", async () => {
    const { mailer, sent } = createMemoryMailer();
    await sendSecurityNotice({ db: db().db, mailer }, "user_unknown", "password_changed");
    expect(sent).toHaveLength(0);
  });
});
