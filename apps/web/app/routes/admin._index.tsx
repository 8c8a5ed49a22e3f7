/**
 * `/admin`: the console's overview — headline numbers (users, organizations, active sessions, monthly active users)
 * and two server-rendered SVG charts (sign-ups and daily active users per UTC day). A GET form picks the period, so
 * it works without JavaScript. The sections are linked from the layout's menu, not repeated here (the same link
 * twice on a page would make "the Webhooks link" ambiguous for people and for browser tests).
 */
import type { ReactNode } from "react";
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { Button } from "~/components/button";
import { BarChart, type DayValue } from "~/components/charts";
import type { MessageKey } from "~/i18n/dictionary";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getCaller, requireAuth } from "~/lib/auth.server";

export const handle = { i18n: ["charts"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: `${metaT(matches)("admin.overview")} · ${metaT(matches)("admin.title")}` }];

/** The periods offered; the API accepts any 7–90. */
export const PERIODS = [7, 30, 90] as const;
const DEFAULT_PERIOD = 30;

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const requested = Number(new URL(args.request.url).searchParams.get("days"));
  const days = (PERIODS as readonly number[]).includes(requested) ? requested : DEFAULT_PERIOD;
  const caller = await getCaller(args);
  const overview = await caller.adminStats.overview({ days });
  const settings = await caller.instanceSettings.get();
  return {
    // Test mode allowed in production (`+latchkey_test` addresses sign in with 424242): warned about on every visit.
    testModeInProduction: settings.testModeInProduction,
    days: overview.days,
    signUpsPerDay: overview.signUpsPerDay,
    dailyActiveUsers: overview.dailyActiveUsers,
    monthlyActiveUsers: overview.monthlyActiveUsers,
    activeSessions: overview.activeSessions,
    totals: overview.totals,
  };
}

export type OverviewData = Awaited<ReturnType<typeof loader>>;

/** A sentence for the chart's <desc>: the period, the total or average, and the busiest day. */
function useChartDescription() {
  const t = useT();
  const locale = useLocale();
  const date = new Intl.DateTimeFormat(locale, { month: "long", day: "numeric", timeZone: "UTC" });
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const fmt = (day: string) => date.format(new Date(`${day}T00:00:00Z`));
  return (data: DayValue[], keys: { desc: MessageKey; none: MessageKey }) => {
    const from = fmt(data[0]?.day ?? "1970-01-01");
    const to = fmt(data.at(-1)?.day ?? "1970-01-01");
    const total = data.reduce((sum, d) => sum + d.count, 0);
    if (total === 0) return t(keys.none, { from, to });
    const peak = data.reduce((best, d) => (d.count > best.count ? d : best), data[0]!);
    return t(keys.desc, {
      from,
      to,
      total: number.format(total),
      average: number.format(total / data.length),
      peak: number.format(peak.count),
      peakDay: fmt(peak.day),
    });
  };
}

/** Picks the period with a plain GET: works without JavaScript. */
function PeriodForm({ days }: { days: number }) {
  const t = useT();
  return (
    <Form method="get" className="flex flex-wrap items-end gap-3">
      <div className="flex flex-col gap-1">
        <label htmlFor="overview-days" className="text-sm font-medium">
          {t("charts.period.label")}
        </label>
        <select id="overview-days" name="days" defaultValue={String(days)} className="rounded-lk border border-border bg-bg px-2 py-1">
          {PERIODS.map((period) => (
            <option key={period} value={period}>
              {t("charts.period.days", { days: period })}
            </option>
          ))}
        </select>
      </div>
      <Button>{t("charts.period.show")}</Button>
    </Form>
  );
}

/** The numbers and the charts; exported so the route test renders them from a loader's answer. */
export function OverviewCharts({ data, periodForm }: { data: OverviewData; periodForm?: ReactNode }) {
  const t = useT();
  const locale = useLocale();
  const number = new Intl.NumberFormat(locale);
  const describe = useChartDescription();
  const headline: { label: MessageKey; value: number; hint?: MessageKey }[] = [
    { label: "charts.users", value: data.totals.users },
    { label: "charts.organizations", value: data.totals.organizations },
    { label: "charts.activeSessions", value: data.activeSessions, hint: "charts.activeSessionsHint" },
    { label: "charts.monthlyActiveUsers", value: data.monthlyActiveUsers, hint: "charts.monthlyActiveUsersHint" },
  ];
  return (
    <div className="flex flex-col gap-10">
      <section aria-labelledby="overview-numbers" className="flex flex-col gap-4">
        <h2 id="overview-numbers" className="text-xl font-semibold">
          {t("charts.numbersTitle")}
        </h2>
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
          {headline.map((item) => (
            <div key={item.label} className="flex flex-col gap-1 rounded-lk border border-border p-4">
              <dt className="text-sm text-muted">{t(item.label)}</dt>
              <dd className="text-2xl font-semibold tabular-nums">{number.format(item.value)}</dd>
              {item.hint ? <dd className="text-xs text-muted">{t(item.hint)}</dd> : null}
            </div>
          ))}
        </dl>
      </section>
      <section aria-labelledby="overview-activity" className="flex flex-col gap-6">
        <h2 id="overview-activity" className="text-xl font-semibold">
          {t("charts.activityTitle")}
        </h2>
        {periodForm}
        <p className="text-sm text-muted">{t("charts.utcNote")}</p>
        <section aria-labelledby="chart-sign-ups-heading" className="flex flex-col gap-2">
          <h3 id="chart-sign-ups-heading" className="text-lg font-medium">
            {t("charts.signUps.title")}
          </h3>
          <BarChart
            id="chart-sign-ups"
            title={t("charts.signUps.title")}
            description={describe(data.signUpsPerDay, { desc: "charts.signUps.desc", none: "charts.signUps.none" })}
            data={data.signUpsPerDay}
            dayLabel={t("charts.day")}
            valueLabel={t("charts.signUps.value")}
            tableLabel={t("charts.table")}
          />
        </section>
        <section aria-labelledby="chart-dau-heading" className="flex flex-col gap-2">
          <h3 id="chart-dau-heading" className="text-lg font-medium">
            {t("charts.dau.title")}
          </h3>
          <BarChart
            id="chart-dau"
            title={t("charts.dau.title")}
            description={describe(data.dailyActiveUsers, { desc: "charts.dau.desc", none: "charts.dau.none" })}
            data={data.dailyActiveUsers}
            dayLabel={t("charts.day")}
            valueLabel={t("charts.dau.value")}
            tableLabel={t("charts.table")}
          />
        </section>
      </section>
    </div>
  );
}

/** Shown while the instance allows test mode in production; exported for the route test. */
export function TestModeWarning({ on }: { on: boolean }) {
  const t = useT();
  if (!on) return null;
  return (
    <p role="alert" className="rounded-lk border border-danger p-3">
      {t("admin.testModeWarning")}
    </p>
  );
}

export default function AdminOverview() {
  const t = useT();
  const data = useLoaderData<typeof loader>();
  return (
    <div className="flex flex-col gap-10">
      <TestModeWarning on={data.testModeInProduction} />
      <p>{t("charts.intro")}</p>
      <OverviewCharts data={data} periodForm={<PeriodForm days={data.days} />} />
    </div>
  );
}
