import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, test } from "vitest";
import { I18nProvider } from "~/i18n/react";
import { plPL } from "~/i18n/pl-PL";
import { BarChart, niceScale, type DayValue } from "./charts";

function days(counts: number[], from = "2026-03-01"): DayValue[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  return counts.map((count, i) => ({ day: new Date(start + i * 86_400_000).toISOString().slice(0, 10), count }));
}

function render(data: DayValue[], locale?: "pl-PL") {
  const chart = (
    <BarChart id="signups" title="Sign-ups per day" description="12 sign-ups in 4 days." data={data} dayLabel="Day" valueLabel="Sign-ups" tableLabel="Show the numbers" />
  );
  return renderToStaticMarkup(locale ? <I18nProvider locale={locale} messages={plPL}>{chart}</I18nProvider> : chart);
}

/** Each bar's value and height, in order. */
function bars(html: string): Array<{ value: number; height: number }> {
  return [...html.matchAll(/<rect\b[^>]*>/g)].map(([tag]) => ({
    value: Number(/data-value="([^"]*)"/.exec(tag)![1]),
    height: Number(/height="([^"]*)"/.exec(tag)![1]),
  }));
}

describe("BarChart", () => {
  test("draws one bar per day, heights proportional to the values", () => {
    const html = render(days([1, 2, 4, 0]));
    const drawn = bars(html);
    expect(drawn.map((b) => b.value)).toEqual([1, 2, 4, 0]);
    expect(drawn[1]!.height).toBeCloseTo(2 * drawn[0]!.height, 6);
    expect(drawn[2]!.height).toBeCloseTo(4 * drawn[0]!.height, 6);
    expect(drawn[3]!.height).toBe(0);
    expect(drawn[2]!.height).toBeGreaterThan(0);
  });

  test("is an image named by its title and described by its description", () => {
    const html = render(days([3, 5]));
    expect(html).toMatch(/<svg role="img" aria-labelledby="signups-title" aria-describedby="signups-desc" viewBox="0 0 \d+ \d+"/);
    expect(html).toContain('<title id="signups-title">Sign-ups per day</title>');
    expect(html).toContain('<desc id="signups-desc">12 sign-ups in 4 days.</desc>');
    expect(html).not.toMatch(/<svg[^>]*\swidth=/);
  });

  test("repeats the numbers in a table with a header row and one row per day", () => {
    const html = render(days([3, 1234]));
    expect(html).toContain("<summary");
    expect(html).toContain('<th scope="col" class="pr-6 font-medium">Day</th>');
    expect(html).toMatch(/<time dateTime="2026-03-01">March 1, 2026<\/time><\/th><td[^>]*>3<\/td>/);
    expect(html).toMatch(/<time dateTime="2026-03-02">March 2, 2026<\/time><\/th><td[^>]*>1,234<\/td>/);
  });

  test("handles days that are all zero: flat bars, a 0 tick, no NaN", () => {
    const html = render(days(new Array(30).fill(0)));
    expect(bars(html)).toHaveLength(30);
    expect(bars(html).every((b) => b.height === 0)).toBe(true);
    expect(html).toContain('data-tick="0"');
    expect(html).not.toContain("NaN");
    expect(html).not.toContain("Infinity");
  });

  test("labels the axis with short dates and ticks in the page's language", () => {
    const html = render(days([0, 15000, 26000], "2026-11-24"), "pl-PL");
    expect(html).toContain(">26 lis</text>");
    expect(html).toMatch(/data-tick="30000"[^>]*>30\s000<\/text>/);
    expect(html).toContain("26 listopada 2026");
  });

  test("labels about seven days of a long period, always the last one", () => {
    const html = render(days(new Array(30).fill(1)));
    const labelled = [...html.matchAll(/data-day="([^"]*)"/g)].map((m) => m[1]);
    expect(labelled.length).toBeLessThanOrEqual(8);
    expect(labelled.at(-1)).toBe("2026-03-30");
  });
});

describe("niceScale", () => {
  test("rounds the maximum up to a whole number of 1, 2 or 5 × 10ⁿ steps", () => {
    expect(niceScale(0)).toEqual({ max: 1, step: 1, ticks: [0, 1] });
    expect(niceScale(3).ticks).toEqual([0, 1, 2, 3]);
    expect(niceScale(7)).toMatchObject({ max: 8, step: 2 });
    expect(niceScale(95)).toMatchObject({ max: 100, step: 50 });
    expect(niceScale(2600)).toMatchObject({ max: 3000, step: 1000 });
  });
});
