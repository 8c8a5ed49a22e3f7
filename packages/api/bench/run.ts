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
const TARGET_RATIO = 0.9;

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

async function startServer(
  db: BenchDatabase,
  profDir: string | null,
  extraEnv: Record<string, string> = {},
): Promise<{ child: ChildProcess; ready: ReadyMessage }> {
  const args = [...(profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []), "--import", "tsx", path.join(benchDir, "server.ts")];
  const child = spawn(process.execPath, args, {
    cwd: apiDir,
    env: { ...process.env, BENCH_DATABASE_URL: db.url ?? "", ...extraEnv },
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
  route: "list" | "ping" | "chain" | "raw";
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
  const total = (c: CountersMessage) => c.requests.list + c.requests.ping + c.requests.chain + c.requests.raw + c.requests.other;
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
    { name: "raw", label: "raw node:http + select 1 (no tRPC)", route: "raw", url: `${base}/__bench/raw`, headers: {}, handlerQueries: 1 },
  ];
  const [list, ping, chainOnly, raw] = targets as [Target, Target, Target, Target];

  for (const target of targets) await preflight(target);
  say(`warm-up: ${WARMUP} s each`);
  for (const target of targets) checkResult(target, await load(target, WARMUP), "warm-up of");

  // ABBA order, so drift (thermal, GC, Postgres caches) hits both paths alike; the better run of each is reported.
  const firstAndWarm = await firstRequestQueries(base, ready, chainOnly);
  say(`measured: ${DURATION} s each, order list, ping, chain, raw, raw, chain, ping, list; ${CONNECTIONS} connections, pipelining 1`);
  const runs: Record<Target["route"], Run[]> = { list: [], ping: [], chain: [], raw: [] };
  for (const target of [list, ping, chainOnly, raw, raw, chainOnly, ping, list]) runs[target.route].push(await measure(base, target));

  const best = (rs: Run[]) => rs.reduce((a, b) => (b.result.requests.mean > a.result.requests.mean ? b : a));
  const qpr = (rs: Run[]) => rs.reduce((n, r) => n + r.queries, 0) / rs.reduce((n, r) => n + r.requests, 0);
  const rows = [
    { target: list, run: best(runs.list), qpr: qpr(runs.list) },
    { target: ping, run: best(runs.ping), qpr: qpr(runs.ping) },
    { target: chainOnly, run: best(runs.chain), qpr: qpr(runs.chain) },
    { target: raw, run: best(runs.raw), qpr: qpr(runs.raw) },
  ];
  const rawRatio = rows[1]!.run.result.requests.mean / rows[3]!.run.result.requests.mean;
  const idleChain = rows[2]!.run.result.requests.mean;

  const revocation = db.url ? await measureRevocation(db, base, ready, chainOnly) : null;
  const signIns = await measureSignIns(base, chainOnly, idleChain);
  const end = await counters(base);
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
  say(`auth chain queries per request (warm): ${fmt(chain, 2)}  (target 0.00; measured over the runs)`);
  say(`auth chain queries, a new session:     first request ${firstAndWarm.first}, second ${firstAndWarm.second}  (target 1, then 0)`);
  say(`ratio protected/public req/s:     ${fmt(ratio, 2)}  (target ≥ ${TARGET_RATIO})${ratio < TARGET_RATIO ? "  below target" : "  meets target"}`);
  say(`ratio chain-only/public req/s:    ${fmt(chainRatio, 2)}  (target ≥ 0.95; the chain alone against one query)`);
  say(`ratio public/raw req/s:           ${fmt(rawRatio, 2)}  (target ≥ 0.7; tRPC ping against node:http + select 1)`);
  if (revocation) {
    for (const r of revocation) {
      say(
        `revocation (${r.kind}, ${r.samples} runs): other instance refuses p50 ${fmt(r.p50, 1)} ms / p99 ${fmt(r.p99, 1)} ms after the revoking ` +
          `response; stale answers after it: ${r.staleOther} other instance, ${r.staleSame} same instance`,
      );
    }
  } else say("revocation: skipped (needs Postgres: two app processes on one database)");
  say(
    `event loop during 100 concurrent sign-ins: p99 ${fmt(signIns.eldP99, 1)} ms (max ${fmt(signIns.eldMax, 1)} ms, target < 20); ` +
      `${signIns.signIns} sign-ins in ${fmt(signIns.seconds, 1)} s; protected reads beside them ${fmt(signIns.protectedRps, 1)} req/s = ` +
      `${fmt((signIns.protectedRps / idleChain) * 100, 0)} % of idle (target ≥ 50 %)`,
  );
  say(
    `auth cache at the end: ${end.cache ? `${end.cache.state}, ${end.cache.entries} entries, ${end.cache.hits} hits, ${end.cache.misses} misses` : "off"}; ` +
      `server heap ${fmt(end.heapUsedBytes / 1048576, 1)} MiB, rss ${fmt(end.rssBytes / 1048576, 1)} MiB`,
  );
  say(
    `runs (req/s): project.list ${runs.list.map((r) => fmt(r.result.requests.mean, 1)).join(" / ")}; ` +
      `ping ${runs.ping.map((r) => fmt(r.result.requests.mean, 1)).join(" / ")}; chain ${runs.chain.map((r) => fmt(r.result.requests.mean, 1)).join(" / ")}; ` +
      `raw ${runs.raw.map((r) => fmt(r.result.requests.mean, 1)).join(" / ")}`,
  );
  if (ready.kind === "pglite") say("NOTE: figures from PGlite, not Postgres.");

  await cleanup();
  if (profDir) say(`cpu profile of the server: ${profDir}/*.cpuprofile`);
  say(`total time: ${elapsed()} s`);
  say(line);
}

/** Auth queries of a brand-new session's first and second request (the chain: no handler query). */
async function firstRequestQueries(base: string, ready: ReadyMessage, chain: Target): Promise<{ first: number; second: number }> {
  const { token } = (await (await fetch(`${base}/__bench/session?user=${ready.userId}`, { method: "POST" })).json()) as { token: string };
  const headers = { ...chain.headers, cookie: `${ready.cookie.split("=")[0]}=${token}` };
  const counts: number[] = [];
  for (let i = 0; i < 2; i++) {
    const before = (await settledCounters(base)).queries;
    const res = await fetch(chain.url, { headers });
    if (res.status !== 200) throw new Error(`first-request check: HTTP ${res.status}`);
    await res.text();
    counts.push((await settledCounters(base)).queries - before);
  }
  return { first: counts[0]!, second: counts[1]! };
}

interface RevocationFigures {
  kind: string;
  samples: number;
  p50: number;
  p99: number;
  staleOther: number;
  staleSame: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * Two app instances on one Postgres: the victim's cookie hammers instance B (8 loops) while instance A revokes through
 * the real procedure. Lag = first refusal B answers, timed from the moment A's revoking response arrived (the commit
 * happened before it, so this is a lower bound on the commit-to-refusal lag when B refuses first, see ADR 023). Stale
 * = B answers 200 to a request sent after A's response arrived; A itself is asked once, right after.
 */
async function measureRevocation(db: BenchDatabase, base: string, ready: ReadyMessage, chain: Target): Promise<RevocationFigures[]> {
  const { child, ready: other } = await startServer(db, null, { BENCH_ROLE: "secondary", BENCH_APP_URL: base });
  const otherBase = `http://127.0.0.1:${other.port}`;
  const cookieName = ready.cookie.split("=")[0]!;
  const samples = 30;
  const results: RevocationFigures[] = [];
  try {
    for (const kind of ["session.revoke", "member.remove"] as const) {
      const lags: number[] = [];
      let staleOther = 0;
      let staleSame = 0;
      for (let i = 0; i < samples; i++) {
        const victim = (await (
          await fetch(kind === "session.revoke" ? `${base}/__bench/session?user=${ready.userId}` : `${base}/__bench/member?org=${ready.orgId}`, { method: "POST" })
        ).json()) as { token: string; sessionId: string; membershipId?: string };
        const headers = { "x-latchkey-org": ready.orgSlug, cookie: `${cookieName}=${victim.token}` };
        for (const url of [chain.url, `${otherBase}/api/trpc/chain`]) {
          const res = await fetch(url, { headers });
          if (res.status !== 200) throw new Error(`revocation warm-up: HTTP ${res.status}`);
          await res.text();
        }
        let revokedAt = Infinity;
        let firstRefusal = Infinity;
        let stop = false;
        const hammer = async () => {
          while (!stop) {
            const sent = performance.now();
            const res = await fetch(`${otherBase}/api/trpc/chain`, { headers });
            await res.text();
            const got = performance.now();
            if (res.status === 200) {
              if (sent > revokedAt) staleOther++;
            } else {
              firstRefusal = Math.min(firstRefusal, got);
              stop = true;
            }
          }
        };
        const loops = Array.from({ length: 8 }, hammer);
        await new Promise((r) => setTimeout(r, 20));
        const body =
          kind === "session.revoke" ? JSON.stringify({ sessionId: victim.sessionId }) : JSON.stringify({ membershipId: victim.membershipId });
        const res = await fetch(`${base}/api/trpc/${kind === "session.revoke" ? "session.revoke" : "member.remove"}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-latchkey-org": ready.orgSlug, cookie: ready.cookie, origin: base },
          body: JSON.stringify({ json: JSON.parse(body) }),
        });
        revokedAt = performance.now();
        if (res.status !== 200) throw new Error(`revoking with ${kind}: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
        await res.text();
        const same = await fetch(chain.url, { headers });
        if (same.status === 200) staleSame++;
        await same.text();
        const timeout = setTimeout(() => (stop = true), 5000);
        await Promise.all(loops);
        clearTimeout(timeout);
        lags.push(firstRefusal - revokedAt);
      }
      results.push({ kind, samples, p50: percentile(lags, 50), p99: percentile(lags, 99), staleOther, staleSame });
    }
  } finally {
    await stopServer(child);
  }
  return results;
}

/** 100 password sign-ins at a time (argon2id), in waves, while autocannon reads the protected chain beside them. */
async function measureSignIns(
  base: string,
  chain: Target,
  idleChain: number,
): Promise<{ eldP99: number; eldMax: number; signIns: number; seconds: number; protectedRps: number }> {
  void idleChain;
  const { emails } = (await (await fetch(`${base}/__bench/users?n=100`, { method: "POST" })).json()) as { emails: string[] };
  await fetch(`${base}/__bench/eld/reset`, { method: "POST" });
  const started = performance.now();
  const reads = autocannon({ url: chain.url, connections: 10, pipelining: 1, duration: 5, headers: chain.headers });
  let signIns = 0;
  let done = false;
  void reads.then(() => (done = true));
  let wave = 0;
  while (!done && wave < 4) {
    wave++;
    await Promise.all(
      emails.map(async (email, i) => {
        const res = await fetch(`${base}/api/trpc/auth.signIn`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: base, "x-bench-ip": `10.${wave}.${i >> 8}.${i & 255}` },
          body: JSON.stringify({ json: { email, password: "correct horse battery staple" } }),
        });
        await res.text();
        if (res.status === 200) signIns++;
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const eld = (await (await fetch(`${base}/__bench/eld`)).json()) as { p99: number; max: number };
  const result = await reads;
  return { eldP99: eld.p99, eldMax: eld.max, signIns, seconds, protectedRps: result.requests.mean };
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    say(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    await cleanup();
    process.exit(1);
  },
);
