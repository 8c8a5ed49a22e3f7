/**
 * `npm run bench`: requests/s of a protected procedure (project.list: the whole auth chain + its select) against a
 * public one doing one trivial query, over real HTTP on loopback, with database queries per request. See README.md.
 *
 * Options, as flags (`npx tsx bench/run.ts --duration=5`) or environment (`BENCH_DURATION=5 npm run bench`):
 * duration (s, measured run, default 10), warmup (s, default 3), connections (default 50), and
 * --cpu-prof / BENCH_CPU_PROF=1 to profile the server process (the .cpuprofile path is printed).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon, { type Result } from "autocannon";
import { provisionDatabase, type BenchDatabase } from "./database.ts";
import type { CountersMessage, ReadyMessage } from "./server.ts";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const apiDir = path.resolve(benchDir, "..");
const TARGET_RATIO = 0.8;

/** `--name=<n>` or `BENCH_NAME=<n>` (npm swallows unknown flags given through the root script, env always works). */
function flag(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const raw = arg ?? process.env[`BENCH_${name.toUpperCase()}`];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}
const DURATION = flag("duration", 10);
const WARMUP = flag("warmup", 3);
const CONNECTIONS = Math.round(flag("connections", 50));
const CPU_PROF = process.argv.includes("--cpu-prof") || process.env.BENCH_CPU_PROF === "1";

const say = (line: string) => process.stdout.write(`${line}\n`);
const started = Date.now();
const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);

// Clean-up runs once: on success, on failure and on Ctrl-C / SIGTERM.
const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) await fn().catch((error: unknown) => say(`clean-up step failed: ${(error as Error).message}`));
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    say(`\n${signal}: stopping the server and removing the database…`);
    void cleanup().then(() => process.exit(130));
  });
}

async function startServer(db: BenchDatabase, profDir: string | null): Promise<{ child: ChildProcess; ready: ReadyMessage }> {
  const args = [...(profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []), "--import", "tsx", path.join(benchDir, "server.ts")];
  const child = spawn(process.execPath, args, {
    cwd: apiDir,
    env: { ...process.env, BENCH_DATABASE_URL: db.url ?? "" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  cleanups.push(() => stopServer(child));
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the bench server did not start within 120 s")), 120_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      if (line.startsWith("BENCH_READY ")) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice("BENCH_READY ".length)) as ReadyMessage);
      } else {
        process.stderr.write(`[server] ${line}\n`);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the bench server exited with code ${code} before it was ready`));
    });
  });
  return { child, ready };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

interface Target {
  name: string;
  label: string;
  route: "list" | "ping" | "chain";
  url: string;
  headers: Record<string, string>;
  /** Queries the procedure's handler runs itself, after the auth chain. */
  handlerQueries: number;
}

interface Run {
  result: Result;
  queries: number;
  requests: number;
}

async function counters(base: string): Promise<CountersMessage> {
  const res = await fetch(`${base}/__bench/queries`);
  return (await res.json()) as CountersMessage;
}

/**
 * Counters once every request the server accepted has been answered: autocannon stops with requests in flight, and
 * some may still sit unread in socket buffers, so wait until nothing is in flight and the totals stop moving.
 */
async function settledCounters(base: string): Promise<CountersMessage> {
  const total = (c: CountersMessage) => c.requests.list + c.requests.ping + c.requests.other;
  const deadline = Date.now() + 5_000;
  let previous = await counters(base);
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const current = await counters(base);
    if ((current.inFlight === 0 && total(current) === total(previous)) || Date.now() > deadline) return current;
    previous = current;
  }
}

function checkResult(target: Target, result: Result, phase: string): void {
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    const codes = Object.entries(result.statusCodeStats).map(([code, s]) => `${code}×${s.count}`).join(", ");
    throw new Error(
      `${phase} ${target.name}: ${result.non2xx} non-2xx responses, ${result.errors} errors, ${result.timeouts} timeouts (status codes: ${codes})`,
    );
  }
}

async function load(target: Target, duration: number): Promise<Result> {
  return autocannon({ url: target.url, connections: CONNECTIONS, pipelining: 1, duration, headers: target.headers });
}

async function measure(base: string, target: Target): Promise<Run> {
  const before = await settledCounters(base);
  const result = await load(target, DURATION);
  const after = await settledCounters(base);
  checkResult(target, result, "measured run of");
  const requests = after.requests[target.route] - before.requests[target.route];
  const others = (Object.keys(after.requests) as Array<keyof CountersMessage["requests"]>)
    .filter((k) => k !== target.route)
    .reduce((n, k) => n + after.requests[k] - before.requests[k], 0);
  if (others !== 0) throw new Error(`${others} unexpected requests reached the server during the ${target.name} run`);
  say(
    `  ${elapsed().padStart(5)} s  ${target.name.padEnd(13)} ${fmt(result.requests.mean, 1).padStart(9)} req/s  p99 ${result.latency.p99} ms  ` +
      `${requests} answered (autocannon saw ${result.requests.total}), ${after.queries - before.queries} queries`,
  );
  return { result, queries: after.queries - before.queries, requests };
}

function fmt(n: number, digits: number): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

async function preflight(target: Target): Promise<void> {
  const res = await fetch(target.url, { headers: target.headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`preflight ${target.name}: HTTP ${res.status}: ${text.slice(0, 300)}`);
}

async function main(): Promise<void> {
  say("Latchkey bench: protected vs public tRPC procedure over HTTP on loopback");
  const db = await provisionDatabase(say);
  cleanups.push(db.cleanup);
  say(`database: ${db.source}`);
  if (!db.url) say("WARNING: the figures below are from PGlite (embedded, single connection), NOT from Postgres.");

  const profDir = CPU_PROF ? await mkdtemp(path.join(os.tmpdir(), "latchkey-bench-prof-")) : null;
  const { child, ready } = await startServer(db, profDir);
  const base = `http://127.0.0.1:${ready.port}`;
  say(`server: child process ${child.pid} on ${base}, ${ready.kind} ${ready.serverVersion}; seeded 1 org admin, ${ready.projects} projects (${elapsed()} s)`);

  const targets: Target[] = [
    {
      name: "project.list",
      label: "project.list (auth chain + select)",
      route: "list",
      url: `${base}/api/trpc/project.list`,
      headers: { cookie: ready.cookie, "x-latchkey-org": ready.orgSlug },
      handlerQueries: 1,
    },
    { name: "ping", label: "ping (public, select 1)", route: "ping", url: `${base}/api/trpc/ping`, headers: {}, handlerQueries: 1 },
    {
      name: "chain",
      label: "chain only (no handler query)",
      route: "chain",
      url: `${base}/api/trpc/chain`,
      headers: { cookie: ready.cookie, "x-latchkey-org": ready.orgSlug },
      handlerQueries: 0,
    },
  ];
  const [list, ping, chainOnly] = targets as [Target, Target, Target];

  for (const target of targets) await preflight(target);
  say(`warm-up: ${WARMUP} s each`);
  for (const target of targets) checkResult(target, await load(target, WARMUP), "warm-up of");

  // ABBA order, so drift (thermal, GC, Postgres caches) hits both paths alike; the better run of each is reported.
  say(`measured: ${DURATION} s each, order list, ping, chain, chain, ping, list; ${CONNECTIONS} connections, pipelining 1`);
  const runs: Record<Target["route"], Run[]> = { list: [], ping: [], chain: [] };
  for (const target of [list, ping, chainOnly, chainOnly, ping, list]) runs[target.route].push(await measure(base, target));

  const best = (rs: Run[]) => rs.reduce((a, b) => (b.result.requests.mean > a.result.requests.mean ? b : a));
  const qpr = (rs: Run[]) => rs.reduce((n, r) => n + r.queries, 0) / rs.reduce((n, r) => n + r.requests, 0);
  const rows = [
    { target: list, run: best(runs.list), qpr: qpr(runs.list) },
    { target: ping, run: best(runs.ping), qpr: qpr(runs.ping) },
    { target: chainOnly, run: best(runs.chain), qpr: qpr(runs.chain) },
  ];
  const ratio = rows[0]!.run.result.requests.mean / rows[1]!.run.result.requests.mean;
  const chainRatio = rows[2]!.run.result.requests.mean / rows[1]!.run.result.requests.mean;
  const chain = rows[0]!.qpr - list.handlerQueries;

  const cpus = os.cpus();
  const line = "-".repeat(82);
  say("");
  say(line);
  say(`machine: Node ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? "unknown"}), ${os.platform()} ${os.arch()}`);
  say(`driver:  ${ready.kind === "postgres" ? `postgres (postgres.js), PostgreSQL ${ready.serverVersion}` : `pglite (PostgreSQL ${ready.serverVersion} in WASM)`}`);
  say(`load:    autocannon, ${CONNECTIONS} connections, pipelining 1, 2 × ${DURATION} s per path (better run shown), ${WARMUP} s warm-up`);
  say(line);
  say(`${"path".padEnd(38)}${"req/s (mean)".padStart(14)}${"p99 (ms)".padStart(11)}${"queries/req".padStart(14)}`);
  for (const { target, run, qpr: q } of rows) {
    say(`${target.label.padEnd(38)}${fmt(run.result.requests.mean, 1).padStart(14)}${String(run.result.latency.p99).padStart(11)}${fmt(q, 2).padStart(14)}`);
  }
  say(line);
  say(`auth chain queries per request:   ${fmt(chain, 2)}  (target ≤ 1.00)${chain > 1.005 ? "  ABOVE TARGET" : ""}`);
  say(`ratio protected/public req/s:     ${fmt(ratio, 2)}  (target ≥ ${TARGET_RATIO})${ratio < TARGET_RATIO ? "  below target" : "  meets target"}`);
  say(`ratio chain-only/public req/s:    ${fmt(chainRatio, 2)}  (the chain alone, one query each side)`);
  say(
    `runs (req/s): project.list ${runs.list.map((r) => fmt(r.result.requests.mean, 1)).join(" / ")}; ` +
      `ping ${runs.ping.map((r) => fmt(r.result.requests.mean, 1)).join(" / ")}; chain ${runs.chain.map((r) => fmt(r.result.requests.mean, 1)).join(" / ")}`,
  );
  if (ready.kind === "pglite") say("NOTE: figures from PGlite, not Postgres.");

  await cleanup();
  if (profDir) say(`cpu profile of the server: ${profDir}/*.cpuprofile`);
  say(`total time: ${elapsed()} s`);
  say(line);
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    say(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    await cleanup();
    process.exit(1);
  },
);
