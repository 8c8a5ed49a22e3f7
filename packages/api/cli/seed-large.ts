/**
 * `npm run db:seed:large [-- --users N] [-- --explain]`: a large database for the admin console — by default
 * 1,000,000 users with primary addresses, spread over the last 90 days (~1% banned, ~0.5% locked, ~5% unverified,
 * ~10% with a second factor, ~80% signed in at least once), sessions for ~2% of them and `user_activity_days` for the
 * last 30 days (~5% of users active on a day), so the user list and the charts can be tried at scale.
 *
 * Set-based SQL (`insert … select … from generate_series`) in batches of 50,000, one transaction each, printing
 * progress. The seeded users have no password (nobody can sign in as them) and their sessions' secrets are unknown.
 * Triggers are off while seeding (`session_replication_role = replica`): a million `user.created` webhook events
 * would be noise, and `has_second_factor` is set directly instead of through factor rows.
 *
 * Runs against DATABASE_URL, else the PGlite data directory `npm run dev` uses (stop the dev server first; on PGlite
 * prefer `--users 10000`). Refuses to seed twice; with `--explain` it then prints the list query's plans
 * (EXPLAIN (ANALYZE, BUFFERS)) for each filter, a deep cursor page and both kinds of search.
 */
import { sql } from "drizzle-orm";
import { createDb, defaultDataDir, migrate, type Database } from "@latchkey/db";
import { decodeUserCursor, encodeUserCursor, rowsOf, userListQuery, type UserListParams } from "../src/admin-user-list.ts";

if (process.env.NODE_ENV === "production") {
  console.error("db:seed:large refuses to run with NODE_ENV=production.");
  process.exit(1);
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index >= 0) return process.argv[index + 1];
  const inline = process.argv.find((a) => a.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}

const total = Number(argument("users") ?? 1_000_000);
if (!Number.isInteger(total) || total < 1 || total > 20_000_000) {
  console.error("--users: give a whole number from 1 to 20,000,000.");
  process.exit(2);
}
const explainOnly = process.argv.includes("--explain");
const BATCH = 50_000;
/** Seeded addresses end with this domain: the idempotency guard looks for it. */
const SEED_DOMAIN = "seed.latchkey.test";

const firstNames = ["Anna", "Piotr", "Maria", "Jan", "Katarzyna", "Tomasz", "Agnieszka", "Paweł", "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas", "Mia", "Mateo", "Amelia", "Ethan", "Harper", "Leo", "Evelyn", "Oliver", "Aria", "Henry", "Chloe", "Hugo", "Zofia", "Jakub", "Julia", "Antoni", "Lena", "Szymon", "Hanna", "Filip", "Alicja", "Kacper"];
const lastNames = ["Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowska", "Zieliński", "Szymańska", "Woźniak", "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores"];
const agents = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
];

const textArray = (values: string[]) => sql.raw(`array[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(",")}]::text[]`);

async function seedBatch(db: Database, from: number, to: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    // One row of random draws per user, then the user, its primary address, maybe a session, its active days.
    await tx.execute(sql`
      create temporary table seed_src on commit drop as
      select g,
        'user_' || substr(md5('latchkey-seed-user-' || g), 1, 24) as id,
        (${textArray(firstNames)})[1 + (g * 7) % ${firstNames.length}] as first_name,
        (${textArray(lastNames)})[1 + (g * 13) % ${lastNames.length}] as last_name,
        now() - random() * interval '90 days' as created_at,
        random() as r_sign_in, random() as r_state, random() as r_mfa, random() as r_verified, random() as r_username,
        random() as r_session, random() as r_active, random() as r_lock
      from generate_series(${from}::int, ${to}::int) g`);
    await tx.execute(sql`
      insert into users (id, first_name, last_name, username, created_at, updated_at, last_sign_in_at, banned_at, locked_until, has_second_factor)
      select id, first_name, last_name,
        case when r_username < 0.3 then lower(translate(first_name || '.' || last_name, 'ąćęłńóśźżĄĆĘŁŃÓŚŹŻ', 'acelnoszzACELNOSZZ')) || g end,
        created_at, created_at,
        case when r_sign_in < 0.8 then created_at + (now() - created_at) * r_sign_in / 0.8 end,
        case when r_state < 0.01 then created_at + (now() - created_at) * r_lock end,
        case when r_state >= 0.01 and r_state < 0.015 then now() + interval '1 hour' * (1 + r_lock * 47) end,
        r_mfa < 0.10
      from seed_src`);
    await tx.execute(sql`
      insert into email_addresses (id, user_id, email, is_primary, verified_at, created_at)
      select 'idn_' || substr(md5('latchkey-seed-email-' || g), 1, 24), id,
        lower(translate(first_name || '.' || last_name, 'ąćęłńóśźżĄĆĘŁŃÓŚŹŻ', 'acelnoszzACELNOSZZ')) || '.' || g || '@' || ${SEED_DOMAIN},
        true, case when r_verified >= 0.05 then created_at end, created_at
      from seed_src`);
    await tx.execute(sql`
      insert into sessions (id, secret_hash, user_id, created_at, last_active_at, idle_expires_at, expires_at, ip, user_agent)
      select 'sess_' || substr(md5('latchkey-seed-session-' || g), 1, 24), md5('unknown secret ' || g || random()), id,
        now() - interval '1 day' * r_session * 50, now() - interval '1 hour' * r_session * 100,
        now() + interval '7 days', now() + interval '30 days',
        '203.0.113.' || (g % 250 + 1), (${textArray(agents)})[1 + g % ${agents.length}]
      from seed_src where r_session < 0.02 and r_state >= 0.015`);
    // ~25% of users are active in a month, each on ~20% of its days: ~5% of users a day.
    await tx.execute(sql`
      insert into user_activity_days (day, user_id)
      select current_date - d, id from seed_src, generate_series(0, 29) d
      where r_active < 0.25 and created_at::date <= current_date - d and random() < 0.2`);
  });
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

async function explainList(db: Database): Promise<void> {
  const now = new Date();
  // A cursor half-way down the list, as if the admin had paged that far.
  const [middle] = rowsOf<{ time: string; id: string }>(
    await db.execute(sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as time, id from users
      where deleted_at is null order by created_at desc, id desc offset (select count(*) / 2 from users) limit 1`),
  );
  const [sample] = rowsOf<{ email: string }>(await db.execute(sql`select email from email_addresses where email like ${"%@" + SEED_DOMAIN} order by id limit 1`));
  const deep = middle ? decodeUserCursor(encodeUserCursor({ sort: "newest", phase: "t", time: middle.time, id: middle.id })) : null;
  const emailQuery = sample ? sample.email.slice(0, sample.email.indexOf("@") + 1) : "anna.nowak.1@";
  const cases: [string, Omit<UserListParams, "now" | "limit">][] = [
    ["no filter, first page (newest)", { sort: "newest" }],
    ["no filter, a page half-way down (cursor)", { sort: "newest", cursor: deep }],
    ["oldest first, first page", { sort: "oldest" }],
    ["last sign-in first, first page", { sort: "last_sign_in" }],
    ["filter banned", { sort: "newest", filter: "banned" }],
    ["filter locked", { sort: "newest", filter: "locked" }],
    ["filter unverified", { sort: "newest", filter: "unverified" }],
    ["filter mfa", { sort: "newest", filter: "mfa" }],
    [`email prefix search "${emailQuery}"`, { sort: "newest", query: emailQuery }],
    ['name prefix search "kowal"', { sort: "newest", query: "kowal" }],
    ['name prefix search "zofia.w"', { sort: "newest", query: "zofia.w" }],
  ];
  for (const [label, params] of cases) {
    const query = userListQuery({ ...params, limit: 25, now });
    // Warm once (as a server would be), then measure.
    await db.execute(query);
    const started = performance.now();
    await db.execute(query);
    const took = performance.now() - started;
    const plan = rowsOf<Record<string, string>>(await db.execute(sql`explain (analyze, buffers) ${query}`)).map((row) => Object.values(row)[0]);
    console.info(`\n### ${label} — ${took.toFixed(1)} ms round trip\n`);
    console.info(plan.join("\n"));
  }
}

const url = process.env.DATABASE_URL;
const handle = await createDb({ url });
try {
  await migrate(handle);
  const db = handle.db;
  const [already] = rowsOf<{ n: number | string }>(
    await db.execute(sql`select count(*)::int as n from (select 1 from email_addresses where email like ${"%@" + SEED_DOMAIN} limit 1) s`),
  );
  if (Number(already?.n ?? 0) > 0) {
    const [count] = rowsOf<{ n: number | string }>(await db.execute(sql`select count(*)::int as n from users`));
    console.info(`This database is seeded already (${Number(count?.n ?? 0).toLocaleString("en-US")} users); nothing added.`);
  } else {
    const started = performance.now();
    console.info(`Seeding ${total.toLocaleString("en-US")} users into ${url ? "DATABASE_URL" : `PGlite at ${defaultDataDir()}`} in batches of ${BATCH.toLocaleString("en-US")}…`);
    for (let from = 1; from <= total; from += BATCH) {
      const to = Math.min(total, from + BATCH - 1);
      const batchStarted = performance.now();
      await seedBatch(db, from, to);
      console.info(`  ${to.toLocaleString("en-US").padStart(11)} / ${total.toLocaleString("en-US")} users (batch ${seconds(batchStarted)}, total ${seconds(started)})`);
    }
    // The activity rollups are kept by a trigger, which was off: rebuild them from the seeded activity in two statements.
    const rollups = performance.now();
    await db.execute(sql`
      insert into activity_day_counts (day, active_users)
      select day, count(*)::int from user_activity_days group by day
      on conflict (day) do update set active_users = excluded.active_users`);
    await db.execute(sql`
      update users u set last_active_on = a.last_day
      from (select user_id, max(day) as last_day from user_activity_days group by user_id) a
      where u.id = a.user_id and (u.last_active_on is null or u.last_active_on < a.last_day)`);
    // So are the exact user counters (migration 0018): rebuilt from the table in one statement.
    await db.execute(sql`select latchkey_recount_users()`);
    console.info(`Activity rollups and user counters rebuilt in ${seconds(rollups)}.`);
    const analyzing = performance.now();
    await db.execute(sql`analyze users, email_addresses, sessions, user_activity_days, activity_day_counts`);
    console.info(`Analyzed in ${seconds(analyzing)}. Seeded in ${seconds(started)}.`);
    const counts = rowsOf<Record<string, number | string>>(
      await db.execute(sql`select
        (select count(*) from users) as users,
        (select count(*) from users where banned_at is not null) as banned,
        (select count(*) from users where locked_until > now()) as locked,
        (select count(*) from users where has_second_factor) as mfa,
        (select count(*) from email_addresses where is_primary and verified_at is null) as unverified,
        (select count(*) from sessions) as sessions,
        (select count(*) from user_activity_days) as activity_days`),
    )[0];
    console.info(`Counts: ${JSON.stringify(counts)}`);
  }
  if (explainOnly) await explainList(db);
} finally {
  await handle.close();
}
