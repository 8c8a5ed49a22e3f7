/**
 * Reads the app's source for the message keys each route uses (ADR 029), for `route-i18n.test.ts`: the keys written
 * in a route module and in the local modules it imports, transitively. A key is a string literal that is a dictionary
 * key; a template literal starting with a namespace (`` `waitlist.status.${s}` ``) uses every key under its fixed part.
 * `form-errors.server.ts` is not followed: its keys are picked at run time and shown through `useAnyT`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { enUS } from "~/i18n/en-US";

export const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const routesDir = path.join(appDir, "routes");
const keys = new Set(Object.keys(enUS));
const namespaces = new Set([...keys].map((key) => key.split(".")[0]!));
const notFollowed = new Set([path.join(appDir, "lib/form-errors.server.ts")]);

/** What a module uses: whole keys, and prefixes a template literal builds keys under. */
export interface Usage {
  keys: Set<string>;
  prefixes: Set<string>;
}

function resolveImport(from: string, specifier: string): string | null {
  let base: string;
  if (specifier.startsWith("~/")) base = path.join(appDir, specifier.slice(2));
  else if (specifier.startsWith(".")) base = path.resolve(path.dirname(from), specifier);
  else return null;
  for (const candidate of [base, `${base}.tsx`, `${base}.ts`, path.join(base, "index.ts")]) {
    if (existsSync(candidate) && !candidate.endsWith("/")) {
      try {
        readFileSync(candidate);
        return candidate;
      } catch {
        continue;
      }
    }
  }
  return null;
}

function scanSource(source: string, usage: Usage): void {
  for (const [, , value] of source.matchAll(/(["'`])([A-Za-z][\w.-]*)\1/g)) if (keys.has(value!)) usage.keys.add(value!);
  for (const [, head] of source.matchAll(/`([A-Za-z][\w.]*\.)\$\{/g)) {
    const prefix = head!.slice(0, -1);
    if (namespaces.has(prefix.split(".")[0]!)) usage.prefixes.add(prefix);
  }
}

/** The keys used by `file` and everything it imports from the app (not the dictionaries themselves). */
export function scanModule(file: string, seen = new Set<string>(), usage: Usage = { keys: new Set(), prefixes: new Set() }): Usage {
  if (seen.has(file) || notFollowed.has(file) || file.startsWith(path.join(appDir, "i18n"))) return usage;
  seen.add(file);
  const source = readFileSync(file, "utf8");
  scanSource(source, usage);
  const specifiers = [
    ...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/g),
    ...source.matchAll(/\bimport\("([^"]+)"\)/g),
  ].map((match) => match[1]!);
  for (const specifier of specifiers) {
    const resolved = resolveImport(file, specifier);
    if (resolved) scanModule(resolved, seen, usage);
  }
  return usage;
}

export interface RouteFile {
  id: string;
  file: string;
  /** Route ids from the root down to this one, as Remix nests flat routes. */
  chain: string[];
}

/** Every route module that renders a page (has a default export), with its parents. */
export function listPageRoutes(): RouteFile[] {
  const files = readdirSync(routesDir).filter((name) => /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name));
  const ids = files.map((name) => name.replace(/\.tsx?$/, ""));
  const parentOf = (id: string): string | null =>
    ids.filter((other) => other !== id && id.startsWith(`${other}.`)).sort((a, b) => b.length - a.length)[0] ?? null;
  return files
    .map((name, index) => ({ id: ids[index]!, file: path.join(routesDir, name) }))
    .filter(({ file }) => /export default function/.test(readFileSync(file, "utf8")))
    .map(({ id, file }) => {
      const chain = [id];
      for (let parent = parentOf(id); parent; parent = parentOf(parent)) chain.unshift(parent);
      return { id, file, chain: ["root", ...chain] };
    });
}

/** The `handle.i18n` prefixes a module declares, read from its source. */
export function declaredPrefixes(file: string): string[] {
  const match = /export const handle = \{\s*i18n:\s*\[([^\]]*)\]/.exec(readFileSync(file, "utf8"));
  return match ? [...match[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [];
}

export function fileOf(id: string): string {
  return id === "root" ? path.join(appDir, "root.tsx") : [`${id}.tsx`, `${id}.ts`].map((name) => path.join(routesDir, name)).find(existsSync)!;
}
