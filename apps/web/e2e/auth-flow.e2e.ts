import { describe, expect, test } from "vitest";
import { baseURL, useBrowser } from "./browser";
import { measureJavaScript } from "./js-size";
import { waitForMail } from "./mail";
import { createOrganization, PASSWORD, signOut, signUp, uniqueEmail } from "./users";

const browser = useBrowser();
for (const javaScriptEnabled of [false, true]) {
  describe(`with JavaScript ${javaScriptEnabled ? "enabled" : "disabled"}`, () => {
    test("a visitor signs up, creates an organization and a project, signs out, and is sent to sign in from a protected page", async () => {
      const page = await browser.newPage({ javaScriptEnabled });
      await signUp(page, uniqueEmail("flow"));
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Welcome, Ada Lovelace");
      // A signed-in page is never kept by a cache.
      const home = await page.goto("/");
      expect(home?.headers()["cache-control"]).toBe("no-store");

      const orgPath = await createOrganization(page, `Analytical Engines ${javaScriptEnabled ? "JS" : "HTML"}`);
      await expect(page.getByRole("heading", { level: 2, name: "Projects" }).isVisible()).resolves.toBe(true);
      await expect(page.getByText("No projects yet.").isVisible()).resolves.toBe(true);

      await page.getByLabel("Project name").fill("Difference engine");
      await page.getByRole("button", { name: "Create project" }).click();
      await page.getByText("Difference engine").waitFor();
      await expect(page.getByRole("button", { name: "Delete Difference engine" }).isVisible()).resolves.toBe(true);

      // The switcher lists the new organization.
      await page.getByLabel("Switch organization").click();
      await expect(page.getByRole("button", { name: /Analytical Engines/ }).isVisible()).resolves.toBe(true);

      await signOut(page);
      await page.goto(orgPath);
      expect(new URL(page.url()).pathname).toBe("/sign-in");
      expect(new URL(page.url()).searchParams.get("redirect_url")).toBe(orgPath);
    });
  });
}

describe("forms", () => {
  test("a wrong password gets one generic, announced message and keeps the address", async () => {
    const email = uniqueEmail("wrong");
    const setup = await browser.newPage();
    await signUp(setup, email);

    // The 401 answer is logged by Chromium as a failed resource load; that is the point of the test.
    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await page.goto("/sign-in");
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill("definitely not it");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toBe("Email address or password is incorrect.");
    await expect(page.getByLabel("Email address").inputValue()).resolves.toBe(email);
  });

  test("too many attempts for one address get a friendly 429 that says when to try again", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    const email = uniqueEmail("hammer");
    let status = 0;
    for (let i = 0; i < 21; i++) {
      await page.goto("/sign-in");
      await page.getByLabel("Email address").fill(email);
      await page.getByLabel("Password").fill(`guess number ${i}`);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().includes("/sign-in") && r.request().method() === "POST"),
        page.getByRole("button", { name: "Sign in", exact: true }).click(),
      ]);
      status = response.status();
      if (status === 429) expect(Number(response.headers()["retry-after"])).toBeGreaterThan(0);
    }
    expect(status).toBe(429);
    await expect(page.getByRole("alert").textContent()).resolves.toMatch(/^Too many attempts\. Try again in \d+ min\.$/);
  });

  test("ten wrong passwords lock the account with the same message, and the owner gets an email about it", async () => {
    const email = uniqueEmail("locked");
    await signUp(await browser.newPage(), email);
    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    const attempt = async (password: string) => {
      await page.goto("/sign-in");
      await page.getByLabel("Email address").fill(email);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      return page.getByRole("alert").textContent();
    };
    for (let i = 0; i < 10; i++) expect(await attempt(`wrong guess ${i}`)).toBe("Email address or password is incorrect.");
    expect(await attempt(PASSWORD)).toBe("Email address or password is incorrect.");
    const notice = await waitForMail(email, (m) => /paused/i.test(m.subject));
    expect(notice.text).toContain("15");
  });

  test("a common password is refused on the password field, which is marked invalid", async () => {
    const page = await browser.newPage({ allowConsoleErrors: true });
    await page.goto("/sign-up");
    await page.getByLabel("Email address").fill(uniqueEmail("common"));
    await page.getByLabel("Password", { exact: true }).fill("password123");
    await page.getByRole("button", { name: "Create account" }).click();
    const password = page.getByLabel("Password", { exact: true });
    await page.locator('input[name="password"][aria-invalid="true"]').waitFor();
    await expect(password.getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(page.getByRole("alert").first().textContent()).resolves.toMatch(/too common/);
  });

  test("signing in returns to the page that asked for it, and never to another site", async () => {
    const email = uniqueEmail("return");
    const setup = await browser.newPage();
    await signUp(setup, email);
    const orgPath = await createOrganization(setup, "Return Trip");
    await signOut(setup);

    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto(orgPath);
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await Promise.all([page.waitForURL(`${baseURL}${orgPath}`), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
    await page.getByRole("heading", { level: 2, name: "Projects" }).waitFor();

    await signOut(page);
    await page.goto("/sign-in?redirect_url=//evil.example/steal");
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Sign in", exact: true }).click()]);
  });
});

describe("password reset", () => {
  test("a forgotten password is reset through the emailed link, which ends the old session and works once", async () => {
    const email = uniqueEmail("forgot");
    const context = await browser.newContext({ javaScriptEnabled: false });
    const old = await context.newPage();
    await signUp(old, email);

    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await page.goto("/sign-in");
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await page.getByLabel("Email address").fill(email);
    await page.getByRole("button", { name: "Send reset link" }).click();
    await expect(page.getByRole("status").textContent()).resolves.toContain(email);
    const mail = await waitForMail(email, (m) => m.text.includes("/reset-password?token="));
    const link = /(http\S+\/reset-password\?token=\S+)/.exec(mail.text)![1]!;

    await page.goto(link);
    await page.getByLabel("New password", { exact: true }).fill("a completely new passphrase");
    await Promise.all([page.waitForURL(/\/sign-in\?reset=1$/), page.getByRole("button", { name: "Set new password" }).click()]);
    await expect(page.getByRole("status").textContent()).resolves.toMatch(/signed out everywhere/);
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill("a completely new passphrase");
    await Promise.all([page.waitForURL(`${baseURL}/`), page.getByRole("button", { name: "Sign in", exact: true }).click()]);

    // The session that existed before the reset is over.
    await old.goto("/orgs/new");
    expect(new URL(old.url()).pathname).toBe("/sign-in");
    // The link was single use.
    const again = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await again.goto(link);
    await again.getByLabel("New password", { exact: true }).fill("yet another passphrase here");
    await again.getByRole("button", { name: "Set new password" }).click();
    await expect(again.getByRole("alert").first().textContent()).resolves.toMatch(/not valid any more/);
  });
});

describe("step-up", () => {
  test("confirming the password again returns to where it was asked for; a wrong one is announced", async () => {
    const page = await browser.newPage({ javaScriptEnabled: false, allowConsoleErrors: true });
    await signUp(page, uniqueEmail("stepup"));
    await page.goto("/reverify?redirect_url=/orgs/new");
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Confirm it's you");
    await page.getByLabel("Password").fill("not my password at all");
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toBe("That password is not right.");
    await page.getByLabel("Password").fill(PASSWORD);
    await Promise.all([page.waitForURL(`${baseURL}/orgs/new`), page.getByRole("button", { name: "Continue" }).click()]);
  });
});

describe("sessions across tabs", () => {
  test("signing out in one tab sends the other tab to sign in on its next client-side navigation", async () => {
    const context = await browser.newContext();
    const first = await context.newPage();
    await signUp(first, uniqueEmail("tabs"));
    const orgPath = await createOrganization(first, "Two Tabs");
    await first.goto("/");
    const second = await context.newPage();
    await second.goto(orgPath);
    await signOut(second);

    // A client-side navigation: Remix fetches the loader data, which the guard answers with a redirect.
    await Promise.all([first.waitForURL(/\/sign-in/), first.getByRole("link", { name: "Two Tabs" }).click()]);
    expect(new URL(first.url()).searchParams.get("redirect_url")).toBe(orgPath);
  });

  test("a project added in another tab shows up, through the tRPC client, when this tab regains focus", async () => {
    const context = await browser.newContext();
    const first = await context.newPage();
    await signUp(first, uniqueEmail("focus"));
    const orgPath = await createOrganization(first, "Focus Group");
    const second = await context.newPage();
    await second.goto(orgPath);
    await second.getByLabel("Project name").fill("Made elsewhere");
    await second.getByRole("button", { name: "Create project" }).click();
    await second.getByText("Made elsewhere").waitFor();

    const refetch = first.waitForResponse((r) => r.url().includes("/api/trpc/project.list") && r.status() === 200);
    await first.evaluate(() => window.dispatchEvent(new Event("visibilitychange")));
    await refetch;
    await first.getByText("Made elsewhere").waitFor();
  });

  test("another user's organization page answers 403 and reveals nothing", async () => {
    const owner = await browser.newPage();
    await signUp(owner, uniqueEmail("owner"));
    const orgPath = await createOrganization(owner, "Private Org");

    const stranger = await browser.newPage({ allowConsoleErrors: true });
    await signUp(stranger, uniqueEmail("stranger"));
    const response = await stranger.goto(orgPath);
    expect(response?.status()).toBe(403);
    const body = await stranger.content();
    expect(body).not.toContain("Private Org");
    expect(body).toContain("You don't have access to this page.");
  });
});

describe("cross-site requests", () => {
  test("a sign-in form posted from another site is refused", async () => {
    const response = await fetch(`${baseURL}/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: "email=a%40b.test&password=whatever1",
      redirect: "manual",
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie")).toBeNull();
  });
});

describe("page weight", () => {
  test("the sign-in page ships less than 100 KB of gzipped JavaScript", async () => {
    const page = await browser.newPage();
    const { scripts, gzipped } = await measureJavaScript(page, "/sign-in");
    console.log(`sign-in page JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped in ${scripts.length} files`);
    expect(scripts.length).toBeGreaterThan(0);
    expect(gzipped).toBeLessThan(100 * 1024);
  });
});
