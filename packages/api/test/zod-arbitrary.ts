/**
 * fast-check arbitraries from zod 4 schemas, for the procedure fuzz (src/fuzz.test.ts): `validShaped(schema)` follows
 * the schema (types, lengths, patterns, enums, ids from the test world) and mostly parses; `hostile` is what an
 * attacker sends instead (wrong types, huge strings, deep nesting, prototype keys, confusables, NaN, superjson types);
 * `fuzzInput(schema)` mixes the two, including valid objects with one field swapped for a hostile value.
 */
import fc from "fast-check";
import type { z } from "zod";

type Def = { type: string; [key: string]: unknown };
type Check = { _zod: { def: { check: string; minimum?: number; maximum?: number; format?: string; pattern?: RegExp; value?: number } } };

const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** Strings a person or an attacker would type, for fields without a sharper rule. */
const hostileStrings = [
  "",
  " ",
  "a".repeat(100_000),
  "\u0000",
  "'; drop table users; --",
  "\" or 1=1 --",
  "<script>alert(1)</script>",
  "../../etc/passwd",
  "%00%2e%2e%2f",
  "${{7*7}}",
  "аdmin@еxample.test", // Cyrillic а and е: confusables
  "admin\u200b@example.test", // zero-width space
  "\u202eevil.txt", // right-to-left override
  "ＡＤＭＩＮ", // full-width
  "🧪".repeat(500),
  "\ud800", // a lone surrogate
  "__proto__",
  "constructor",
  "https://idp.invalid/",
  "javascript:alert(1)",
  "-1",
  "1e309",
];

function deepObject(depth: number): unknown {
  let node: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) node = { nested: node };
  return node;
}

function deepArray(depth: number): unknown {
  let node: unknown = [];
  for (let i = 0; i < depth; i++) node = [node];
  return node;
}

/** What a client may send in place of anything (superjson lets Date, Map, Set, BigInt through as themselves). */
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    Number.MAX_SAFE_INTEGER + 2,
    true,
    [],
    {},
    ...hostileStrings,
    JSON.parse('{"__proto__": {"isInstanceAdmin": true, "polluted": true}}'),
    JSON.parse('{"constructor": {"prototype": {"polluted": true}}}'),
    new Date(Number.NaN),
    new Map([["__proto__", 1]]),
    new Set([1, 2]),
    10n ** 30n,
    deepObject(2_000),
    deepArray(2_000),
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
  fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true }),
);

export interface Pools {
  /** Real ids of the test world (organizations, memberships, users …), so valid-shaped inputs sometimes hit rows. */
  ids: readonly string[];
  emails: readonly string[];
  slugs: readonly string[];
}

function checksOf(def: Def): Check["_zod"]["def"][] {
  return ((def.checks as Check[] | undefined) ?? []).map((c) => c._zod.def);
}

function stringArbitrary(def: Def, pools: Pools): fc.Arbitrary<string> {
  const checks = checksOf(def);
  let min = 0;
  let max = 40;
  for (const c of checks) {
    if (c.check === "min_length" && c.minimum !== undefined) min = c.minimum;
    if (c.check === "max_length" && c.maximum !== undefined) max = Math.min(c.maximum, 200);
  }
  // A format on the schema itself (z.email(), z.url()) or as a check (z.string().email()).
  const format = (def.format as string | undefined) ?? checks.find((c) => c.check === "string_format" && c.format !== "regex")?.format;
  const pattern = (def.pattern as RegExp | undefined) ?? checks.find((c) => c.format === "regex")?.pattern;
  const options: fc.Arbitrary<string>[] = [fc.string({ minLength: min, maxLength: Math.max(min, max) })];
  if (format === "email") options.push(fc.constantFrom(...pools.emails), fc.emailAddress().map((e) => e.slice(0, 200)));
  else if (format === "url") options.push(fc.constantFrom("https://hooks.example.invalid/latchkey", "https://idp.invalid", "http://localhost./x"));
  else if (pattern) {
    const matching = [...pools.ids, ...pools.slugs].filter((v) => pattern.test(v));
    if (matching.length > 0) options.push(fc.constantFrom(...matching));
    // Anchored patterns only: fast-check can't build a string for a pattern that matches anywhere inside one.
    if (pattern.source.startsWith("^")) options.push(fc.stringMatching(new RegExp(pattern.source, pattern.flags.replace("g", ""))).filter((s) => s.length <= 200));
  } else options.push(fc.constantFrom(...pools.slugs, ...pools.ids));
  return fc.oneof(...options);
}

function numberArbitrary(def: Def, integer: boolean): fc.Arbitrary<number> {
  let min = -1_000;
  let max = 1_000_000;
  for (const c of checksOf(def)) {
    if ((c.check === "greater_than" || c.check === "number_format") && typeof c.value === "number") min = c.value;
    if (c.check === "less_than" && typeof c.value === "number") max = c.value;
  }
  const isInt = integer || checksOf(def).some((c) => c.format === "safeint" || c.format === "int32");
  return isInt ? fc.integer({ min: Math.max(min, -1e9), max: Math.min(max, 1e9) }) : fc.double({ min: -1e9, max: 1e9, noNaN: true });
}

/** Inputs that follow the schema's shape (and usually parse). */
export function validShaped(schema: unknown, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  if (depth > 6) return fc.constant(undefined);
  const next = (s: unknown) => validShaped(s, pools, depth + 1);
  switch (def.type) {
    case "string":
      return stringArbitrary(def, pools);
    case "number":
      return numberArbitrary(def, false);
    case "int":
      return numberArbitrary(def, true);
    case "bigint":
      return fc.bigInt();
    case "boolean":
      return fc.boolean();
    case "date":
      return fc.date();
    case "null":
      return fc.constant(null);
    case "undefined":
    case "void":
      return fc.constant(undefined);
    case "literal":
      return fc.constantFrom(...(def.values as unknown[]));
    case "enum":
      return fc.constantFrom(...Object.values(def.entries as Record<string, unknown>));
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return fc.oneof({ weight: 4, arbitrary: next(def.innerType) }, { weight: 1, arbitrary: fc.constant(def.type === "nullable" ? null : undefined) });
    case "pipe":
      // A transform's input is what the client sends; a preprocess's output schema is the shape it expects.
      return defOf(def.in).type === "transform" ? next(def.out) : next(def.in);
    case "lazy":
      return next((def.getter as () => unknown)());
    case "object": {
      const shape = def.shape as Record<string, unknown>;
      const entries = Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, next(v)]));
      return fc.record(entries, { requiredKeys: Object.keys(shape).filter((k) => !["optional", "default", "prefault"].includes(defOf(shape[k]).type)) });
    }
    case "array": {
      let maxLength = 4;
      for (const c of checksOf(def)) if (c.check === "max_length" && c.maximum !== undefined) maxLength = Math.min(c.maximum, 6);
      return fc.array(next(def.element), { maxLength });
    }
    case "tuple":
      return fc.tuple(...(def.items as unknown[]).map(next));
    case "record":
      return fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "toString")), fc.oneof(next(def.valueType), hostile), {
        maxKeys: 4,
      });
    case "union":
      return fc.oneof(...(def.options as unknown[]).map(next));
    case "intersection":
      return fc.tuple(next(def.left), next(def.right)).map(([a, b]) => (a && b && typeof a === "object" && typeof b === "object" ? { ...a, ...b } : a));
    default:
      // unknown, any, custom, transform, file …: anything goes.
      return hostile;
  }
}

/** One field of a valid-shaped object replaced by something hostile (or an unknown key added). */
function withOneFieldSwapped(schema: unknown, pools: Pools): fc.Arbitrary<unknown> {
  return fc.tuple(validShaped(schema, pools), hostile, fc.nat(), fc.constantFrom("__proto__", "constructor", "extra", "isInstanceAdmin")).map(([value, bad, index, extraKey]) => {
    if (!value || typeof value !== "object" || Array.isArray(value)) return bad;
    const keys = Object.keys(value);
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    if (keys.length === 0 || index % 4 === 0) Object.defineProperty(copy, extraKey, { value: bad, enumerable: true, configurable: true, writable: true });
    else copy[keys[index % keys.length]!] = bad;
    return copy;
  });
}

/** What the fuzz sends to a procedure with this input schema (undefined: one without input). */
export function fuzzInput(schema: z.ZodType | undefined, pools: Pools): fc.Arbitrary<unknown> {
  if (!schema) return fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostile });
  return fc.oneof(
    { weight: 3, arbitrary: validShaped(schema, pools) },
    { weight: 2, arbitrary: withOneFieldSwapped(schema, pools) },
    { weight: 1, arbitrary: hostile },
  );
}
