import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { waitForMail } from "./mail";
import { createOrganization, signUp, uniqueEmail } from "./users";

const browser = useBrowser();

/** A valid 1×1 PNG, made here from its bytes. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

describe("organization settings (without JavaScript)", () => {
  test("an admin renames the organization, uploads a logo, and deletes it by typing its name; a member sees no danger zone", async () => {
    const suffix = Math.random().toString(36).slice(2, 6);
    // The refused upload and the wrong confirmation answer 400, which the browser logs as a failed load.
    const admin = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(admin, uniqueEmail("settings-admin"));
    const orgPath = await createOrganization(admin, `Settings ${suffix}`);

    // A member joins through the invitation flow.
    const memberEmail = uniqueEmail("settings-member");
    const member = await browser.newPage({ javaScriptEnabled: false });
    await signUp(member, memberEmail, "Max");
    await admin.goto(`${orgPath}/members`);
    await admin.getByLabel("Email addresses").fill(memberEmail);
    await admin.getByLabel("Role", { exact: true }).selectOption("org:member");
    await admin.getByRole("button", { name: "Send invitations" }).click();
    await admin.getByText("Invitations sent: 1.").waitFor();
    const mail = await waitForMail(memberEmail, (m) => m.subject.startsWith("You have been invited"));
    await member.goto(/https?:\/\/\S+\/invitations\/accept\?token=[A-Za-z0-9._%-]+/.exec(mail.text)![0]);
    await Promise.all([member.waitForURL(`${baseURL}${orgPath}`), member.getByRole("button", { name: `Join Settings ${suffix}` }).click()]);

    // The member has no settings link and, on the page itself, no danger zone or general section.
    await expect(member.getByRole("link", { name: "Settings", exact: true }).count()).resolves.toBe(0);
    await member.goto(`${orgPath}/settings`);
    await member.getByRole("heading", { level: 2, name: "Settings" }).waitFor();
    await expect(member.getByRole("heading", { name: "Danger zone" }).count()).resolves.toBe(0);
    await expect(member.getByRole("button", { name: "Delete organization" }).count()).resolves.toBe(0);
    await expect(member.getByRole("button", { name: "Save" }).count()).resolves.toBe(0);

    // The admin renames the organization from the settings page.
    await admin.goto(orgPath);
    await Promise.all([admin.waitForURL(`${baseURL}${orgPath}/settings`), admin.getByRole("link", { name: "Settings", exact: true }).click()]);
    const newName = `Renamed ${suffix}`;
    await admin.getByLabel("Organization name").fill(newName);
    await admin.getByRole("button", { name: "Save" }).click();
    await admin.getByText("Saved.").waitFor();
    await admin.getByRole("heading", { level: 1, name: newName }).waitFor();

    // An SVG named .png is refused; a real PNG becomes the logo in the header.
    await admin.getByRole("region", { name: "Logo" }).getByLabel("Logo", { exact: true }).setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: SVG });
    await admin.getByRole("button", { name: "Upload logo" }).click();
    await admin.getByText("Upload a PNG, JPEG, WebP or GIF image.").waitFor();
    await admin.getByRole("region", { name: "Logo" }).getByLabel("Logo", { exact: true }).setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: PNG });
    await admin.getByRole("button", { name: "Upload logo" }).click();
    await admin.getByRole("button", { name: "Remove logo" }).waitFor();
    const logo = admin.locator("h1").getByRole("img", { name: newName });
    const src = await logo.getAttribute("src");
    expect(src).toMatch(/^\/images\/img_[a-z0-9]+$/);
    const image = await admin.request.get(`${baseURL}${src}`);
    expect(image.status()).toBe(200);
    expect(image.headers()["content-type"]).toBe("image/png");
    expect(image.headers()["x-content-type-options"]).toBe("nosniff");
    expect(image.headers()["content-security-policy"]).toBe("default-src 'none'");
    expect(Buffer.compare(await image.body(), PNG)).toBe(0);

    // A wrong confirmation deletes nothing; the exact name deletes it and lands on the home page.
    await admin.getByLabel(`Type ${newName} to confirm`).fill(newName.toLowerCase());
    await admin.getByRole("button", { name: "Delete organization" }).click();
    await admin.getByText("Type the organization's name exactly as shown.").waitFor();
    await admin.getByLabel(`Type ${newName} to confirm`).fill(newName);
    await Promise.all([admin.waitForURL(`${baseURL}/`), admin.getByRole("button", { name: "Delete organization" }).click()]);
    await admin.getByRole("heading", { level: 1, name: /^Welcome, / }).waitFor();
    await expect(admin.getByText(newName).count()).resolves.toBe(0);
    // Its logo went with it.
    expect((await admin.request.get(`${baseURL}${src}`)).status()).toBe(404);
  });
});

describe("organization settings (with JavaScript)", () => {
  test("an admin renames the organization and uploads a logo that shows in the header", async () => {
    const suffix = Math.random().toString(36).slice(2, 6);
    const admin = await browser.newPage({ javaScriptEnabled: true });
    await signUp(admin, uniqueEmail("settings-js"));
    const orgPath = await createOrganization(admin, `Scripted ${suffix}`);
    await admin.goto(`${orgPath}/settings`);
    await admin.getByLabel("Organization name").fill(`Scripted renamed ${suffix}`);
    await admin.getByRole("button", { name: "Save" }).click();
    await admin.getByText("Saved.").waitFor();
    await admin.getByRole("heading", { level: 1, name: `Scripted renamed ${suffix}` }).waitFor();
    await admin.getByRole("region", { name: "Logo" }).getByLabel("Logo", { exact: true }).setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: PNG });
    await admin.getByRole("button", { name: "Upload logo" }).click();
    await admin.getByRole("button", { name: "Remove logo" }).waitFor();
    await expect(admin.locator("h1").getByRole("img", { name: `Scripted renamed ${suffix}` }).getAttribute("src")).resolves.toMatch(/^\/images\/img_/);
    // The browser really decoded it as an image.
    await expect(admin.locator("h1 img").evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).resolves.toBe(1);
  });
});
