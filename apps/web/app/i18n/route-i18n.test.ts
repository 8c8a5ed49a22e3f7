/** Every page gets the strings it uses and no others (ADR 029). */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { declaredPrefixes, fileOf, listPageRoutes, scanModule } from "~/test/i18n-usage";
import { enUS } from "./en-US";
import { isUnder, namespacesOf, selectMessages } from "./namespaces";

const keys = Object.keys(enUS);

describe("each page's handle.i18n", () => {
  const routes = listPageRoutes();

  test("there are page routes to check, nested as Remix nests them", () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.find((r) => r.id === "sign-in.code")?.chain).toEqual(["root", "sign-in", "sign-in.code"]);
    expect(routes.find((r) => r.id === "user_.security")?.chain).toEqual(["root", "user_.security"]);
    expect(routes.find((r) => r.id === "admin.users_.$userId")?.chain).toEqual(["root", "admin", "admin.users_.$userId"]);
  });

  test("covers every key the route module and the components it imports use", () => {
    const uncovered: string[] = [];
    for (const route of routes) {
      const prefixes = route.chain.flatMap((id) => declaredPrefixes(fileOf(id)));
      const usage = scanModule(route.file);
      for (const used of [...usage.keys, ...usage.prefixes]) {
        if (!prefixes.some((prefix) => isUnder(used, prefix))) uncovered.push(`${route.id}: ${used}`);
      }
    }
    expect(uncovered).toEqual([]);
  });

  test("names prefixes that exist in the dictionary", () => {
    for (const id of ["root", ...routes.map((r) => r.id)]) {
      for (const prefix of declaredPrefixes(fileOf(id))) expect(keys.some((key) => isUnder(key, prefix)), `${id}: ${prefix}`).toBe(true);
    }
  });

  test("gives the sign-in page nothing of the admin console or the account settings", () => {
    const signIn = routes.find((r) => r.id === "sign-in")!;
    const prefixes = signIn.chain.flatMap((id) => declaredPrefixes(fileOf(id)));
    const selected = Object.keys(selectMessages(enUS, prefixes));
    const foreign = /^(admin|adminUsers|adminSettings|adminOrgs|adminRoles|webhooks|jwtTemplates|waitlist\.admin|security|user\.(?!manageAccount)|mfa|phones|orgSettings)/;
    expect(selected.filter((key) => foreign.test(key))).toEqual([]);
    expect(selected).toContain("signIn.title");
    expect(selected.length).toBeLessThan(100);
  });
});

describe("the usage scan", () => {
  test("finds keys in string literals, template prefixes, and imported components, and reports an undeclared key", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "route-i18n-"));
    writeFileSync(path.join(dir, "part.tsx"), `export const label = "security.title";\n`);
    writeFileSync(
      path.join(dir, "page.tsx"),
      `import { label } from "./part";\nexport const x = [t("signIn.title"), t(\`waitlist.status.\${s}\`), "not.a.key", label];\n`,
    );
    const usage = scanModule(path.join(dir, "page.tsx"));
    expect([...usage.keys].sort()).toEqual(["security.title", "signIn.title"]);
    expect([...usage.prefixes]).toEqual(["waitlist.status"]);
    const declared = ["signIn", "waitlist.status"];
    expect([...usage.keys].filter((key) => !declared.some((prefix) => isUnder(key, prefix)))).toEqual(["security.title"]);
  });
});

describe("selecting strings", () => {
  test("a page's prefixes come from all its matched routes, without those another already covers", () => {
    const matches = [{ handle: { i18n: ["nav", "user.manageAccount"] } }, { handle: undefined }, { handle: { i18n: ["user", "nav.signIn"] } }];
    expect(namespacesOf(matches)).toEqual(["nav", "user"]);
  });

  test("a prefix selects the keys at or under it, not keys that merely start with the same letters", () => {
    const selected = selectMessages(enUS, ["user.manageAccount", "form"]);
    expect(Object.keys(selected).sort()).toEqual([...keys.filter((key) => key.startsWith("form.")), "user.manageAccount"].sort());
    expect(isUnder("signInX.title", "signIn")).toBe(false);
    expect(isUnder("signIn.title", "signIn")).toBe(true);
  });
});
