/** The admin overview's loader against a real (in-memory) database, and its charts rendered from the answer. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, test } from "vitest";
import { enUS } from "~/i18n/en-US";
import { I18nProvider } from "~/i18n/react";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function instanceAdmin() {
  const { token, email } = await harness.signUp("overview-root");
  await harness.db().query(
    `update users set is_instance_admin = true where id = (select user_id from email_addresses where email = '${email}')`,
  );
  return token;
}

async function load(token: string, query = "") {
  const { loader } = await import("./admin._index");
  const request = new Request(`http://localhost:3000/admin${query}`, { headers: { cookie: `latchkey_session=${token}` } });
  try {
    return { data: await loader({ request, context: {}, params: {} } as unknown as LoaderFunctionArgs) };
  } catch (thrown) {
    if (thrown instanceof Response) return { thrown };
    throw thrown;
  }
}

function utcDayAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

// Each test signs up (argon2 hashing), slow on a busy machine.
describe("/admin overview", { timeout: 60_000 }, () => {
  test("renders the numbers and SVG charts of the seeded database", async () => {
    const token = await instanceAdmin();
    const twoDaysAgo = utcDayAgo(2);
    const fiveDaysAgo = utcDayAgo(5);
    await harness.db().query(
      `insert into users (id, created_at) select 'user_seeded' || g, '${twoDaysAgo}T12:00:00Z' from generate_series(1, 3) g`,
    );
    await harness.db().query(
      `insert into user_activity_days (day, user_id) select '${fiveDaysAgo}', 'user_seeded' || g from generate_series(1, 3) g`,
    );
    const [{ n: users }] = (await harness.db().query<{ n: number }>("select count(*)::int as n from users where deleted_at is null")) as [{ n: number }];

    const { data } = await load(token);
    expect(data!.days).toBe(30);
    expect(data!.totals.users).toBe(users);
    expect(data!.signUpsPerDay.find((d) => d.day === twoDaysAgo)?.count).toBe(3);
    expect(data!.dailyActiveUsers.find((d) => d.day === fiveDaysAgo)?.count).toBe(3);
    expect(data!.activeSessions).toBeGreaterThanOrEqual(1);

    const { OverviewCharts } = await import("./admin._index");
    const html = renderToStaticMarkup(
      <I18nProvider locale="en-US" messages={enUS}>
        <OverviewCharts data={data!} />
      </I18nProvider>,
    );
    expect(html.match(/<svg role="img"/g)).toHaveLength(2);
    expect(html).toContain('<title id="chart-sign-ups-title">Sign-ups per day</title>');
    expect(html).toContain('<title id="chart-dau-title">Daily active users</title>');
    expect(html).toMatch(/<desc id="chart-sign-ups-desc">Sign-ups from [A-Z][a-z]+ \d+ to [A-Z][a-z]+ \d+: \d+ in total;/);
    expect(html).toMatch(/<rect[^>]*data-value="3"/);
    expect(html).toMatch(new RegExp(`<dt[^>]*>Users</dt><dd[^>]*>${users}</dd>`));
    expect(html).toContain(">Monthly active users</dt>");
  });

  test("shows the period asked for in the address, and 30 days for anything else", async () => {
    const token = await instanceAdmin();
    expect((await load(token, "?days=7")).data!.signUpsPerDay).toHaveLength(7);
    expect((await load(token, "?days=90")).data!.dailyActiveUsers).toHaveLength(90);
    expect((await load(token, "?days=1000")).data!.days).toBe(30);
  });

  test("warns while test mode is allowed in production, and not otherwise", async () => {
    const token = await instanceAdmin();
    const { TestModeWarning } = await import("./admin._index");
    const render = (on: boolean) =>
      renderToStaticMarkup(
        <I18nProvider locale="en-US" messages={enUS}>
          <TestModeWarning on={on} />
        </I18nProvider>,
      );
    expect((await load(token)).data!.testModeInProduction).toBe(false);
    expect(render(false)).toBe("");
    await harness.api(token).caller.instanceSettings.update({ testModeInProduction: true });
    expect((await load(token)).data!.testModeInProduction).toBe(true);
    expect(render(true)).toContain('role="alert"');
    expect(render(true)).toContain("424242");
    await harness.api(token).caller.instanceSettings.update({ testModeInProduction: false });
  });

  test("is refused to a signed-in user who is not an instance admin", async () => {
    const { token } = await harness.signUp("overview-plain");
    const { thrown } = await load(token);
    expect(thrown?.status).toBe(403);
  });
});
