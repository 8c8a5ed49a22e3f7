import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { createOrganization, signUp, uniqueEmail } from "./users";

const browser = useBrowser();

describe("the organization's audit log (without JavaScript)", () => {
  test("an admin sees the invitation they just sent, filters by action and exports JSON Lines", async () => {
    const suffix = Math.random().toString(36).slice(2, 6);
    const page = await browser.newPage({ javaScriptEnabled: false });
    const adminEmail = uniqueEmail("audit-admin");
    await signUp(page, adminEmail);
    const orgPath = await createOrganization(page, `Audit ${suffix}`);

    const invitee = uniqueEmail("audit-invitee");
    await page.goto(`${orgPath}/members`);
    await page.getByLabel("Email addresses").fill(invitee);
    await page.getByLabel("Role", { exact: true }).selectOption("org:member");
    await page.getByRole("button", { name: "Send invitations" }).click();
    await page.getByText("Invitations sent: 1.").waitFor();

    // The organization's navigation leads to the audit log.
    await Promise.all([page.waitForURL(`${baseURL}${orgPath}/audit`), page.getByRole("link", { name: "Audit log" }).click()]);
    await page.getByRole("heading", { level: 2, name: "Audit log" }).waitFor();
    const table = page.getByRole("table", { name: "Audit log" });
    const invitationRow = table.getByRole("row").filter({ hasText: "invitation.created" });
    await invitationRow.first().waitFor();
    await expect(invitationRow.first().textContent()).resolves.toContain(adminEmail);
    await expect(invitationRow.first().textContent()).resolves.toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    await expect(table.getByRole("row").filter({ hasText: "organization.created" }).count()).resolves.toBe(1);

    // Filter by an action prefix: only the invitation remains, and the URL carries the filter.
    await page.getByLabel("Action", { exact: true }).fill("invitation.");
    await Promise.all([page.waitForURL(/\/audit\?.*action=invitation\./), page.getByRole("button", { name: "Filter" }).click()]);
    await expect(table.getByRole("row").count()).resolves.toBe(2);
    await expect(table.getByRole("row").filter({ hasText: "organization.created" }).count()).resolves.toBe(0);
    await expect(page.getByLabel("Action", { exact: true }).inputValue()).resolves.toBe("invitation.");

    // A bad date is announced next to its field, not a server error.
    await page.getByLabel("From (UTC)").fill("2025-02-03");
    await page.getByLabel("To (UTC, inclusive)").fill("2025-02-01");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("alert").filter({ hasText: "an end that is not before the start" }).waitFor();

    // The export link carries the filters and downloads JSON Lines of the same events.
    await page.goto(`${orgPath}/audit?action=invitation.`);
    const href = await page.getByRole("link", { name: "Export JSON Lines" }).getAttribute("href");
    expect(href).toBe(`${orgPath}/audit.jsonl?action=invitation.`);
    const exported = await page.request.get(`${baseURL}${href}`);
    expect(exported.status()).toBe(200);
    expect(exported.headers()["content-type"]).toBe("application/x-ndjson; charset=utf-8");
    expect(exported.headers()["content-disposition"]).toMatch(/^attachment; filename="audit-.+\.jsonl"$/);
    const lines = (await exported.text()).trim().split("\n").map((line) => JSON.parse(line) as { action: string; actor: { email: string } });
    expect(lines).toEqual([expect.objectContaining({ action: "invitation.created", actor: expect.objectContaining({ email: adminEmail }) })]);

    // The export itself is in the log.
    await page.goto(`${orgPath}/audit?action=audit.exported`);
    await table.getByRole("row").filter({ hasText: "audit.exported" }).first().waitFor();
  });

  test("a user saves custom profile data as JSON on /user, and bad JSON is announced", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(page, uniqueEmail("audit-meta"));
    await page.goto("/user");
    const field = page.getByLabel("Custom profile data (JSON)");
    await expect(field.inputValue()).resolves.toBe("{}");
    await field.fill('{ "favouriteColour": "teal" }');
    await Promise.all([page.waitForURL(/\/user\?done=metadata$/), page.getByRole("button", { name: "Save custom data" }).click()]);
    await page.getByText("Your custom profile data was saved.").waitFor();
    await expect(page.getByLabel("Custom profile data (JSON)").inputValue()).resolves.toContain('"favouriteColour": "teal"');

    await page.getByLabel("Custom profile data (JSON)").fill('{ "broken": ');
    await page.getByRole("button", { name: "Save custom data" }).click();
    await page.getByRole("alert").filter({ hasText: "That is not valid JSON." }).waitFor();
    await page.goto("/user");
    await expect(page.getByLabel("Custom profile data (JSON)").inputValue()).resolves.toContain("teal");
  });
});
