/**
 * Server-rendered SVG charts: no chart library and no client script. The SVG is an image with a title and a
 * description for assistive technology; the same numbers follow in a table inside <details>. It sizes through its
 * viewBox, so it scales with its container, and takes its colours from the theme (fill-primary, fill-muted,
 * stroke-border), so it reads in light and dark.
 */
import { useLocale } from "~/i18n/react";

export interface DayValue {
  /** A UTC day, YYYY-MM-DD. */
  day: string;
  count: number;
}

export interface BarChartProps {
  /** Unique on the page: prefixes the ids the SVG's aria-labelledby refers to. */
  id: string;
  title: string;
  /** One or two sentences saying what the chart shows (read out instead of the bars). */
  description: string;
  data: DayValue[];
  /** Column headers and the <summary> of the data table. */
  dayLabel: string;
  valueLabel: string;
  tableLabel: string;
}

const WIDTH = 720;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 8, bottom: 28, left: 44 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;

/** A round axis maximum at or above `max` and its tick step (1, 2 or 5 × 10ⁿ, at least 1: counts are whole). */
export function niceScale(max: number, targetTicks = 4): { max: number; step: number; ticks: number[] } {
  const raw = Math.max(max, 1) / targetTicks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let value = 0; value <= top; value += step) ticks.push(value);
  return { max: top, step, ticks };
}

function utcDate(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

export function BarChart({ id, title, description, data, dayLabel, valueLabel, tableLabel }: BarChartProps) {
  const locale = useLocale();
  const shortDate = new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", timeZone: "UTC" });
  const longDate = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" });
  const number = new Intl.NumberFormat(locale);
  const scale = niceScale(Math.max(0, ...data.map((d) => d.count)));
  const band = data.length > 0 ? PLOT_WIDTH / data.length : PLOT_WIDTH;
  const barWidth = Math.max(1, band * 0.7);
  // About seven date labels whatever the period; the last day is always labelled.
  const labelEvery = Math.max(1, Math.ceil(data.length / 7));
  const y = (value: number) => MARGIN.top + PLOT_HEIGHT - (value / scale.max) * PLOT_HEIGHT;
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;

  return (
    <figure className="flex flex-col gap-2">
      <svg
        role="img"
        aria-labelledby={titleId}
        aria-describedby={descId}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="h-auto w-full"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={titleId}>{title}</title>
        <desc id={descId}>{description}</desc>
        <g className="stroke-border" strokeWidth={1}>
          {scale.ticks.map((tick) => (
            <line key={tick} x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(tick)} y2={y(tick)} strokeDasharray={tick === 0 ? undefined : "2 4"} />
          ))}
        </g>
        <g className="fill-muted" fontSize={11}>
          {scale.ticks.map((tick) => (
            <text key={tick} x={MARGIN.left - 6} y={y(tick)} textAnchor="end" dominantBaseline="middle" data-tick={tick}>
              {number.format(tick)}
            </text>
          ))}
          {data.map((d, i) =>
            i % labelEvery === (data.length - 1) % labelEvery ? (
              <text key={d.day} x={MARGIN.left + band * i + band / 2} y={HEIGHT - 8} textAnchor="middle" data-day={d.day}>
                {shortDate.format(utcDate(d.day))}
              </text>
            ) : null,
          )}
        </g>
        <g className="fill-primary">
          {data.map((d, i) => {
            const height = (d.count / scale.max) * PLOT_HEIGHT;
            return (
              <rect
                key={d.day}
                x={MARGIN.left + band * i + (band - barWidth) / 2}
                y={MARGIN.top + PLOT_HEIGHT - height}
                width={barWidth}
                height={height}
                data-value={d.count}
              >
                <title>{`${longDate.format(utcDate(d.day))}: ${number.format(d.count)}`}</title>
              </rect>
            );
          })}
        </g>
      </svg>
      <details className="text-sm">
        <summary className="cursor-pointer text-primary underline">{tableLabel}</summary>
        <table className="mt-2 text-left">
          <caption className="sr-only">{title}</caption>
          <thead>
            <tr>
              <th scope="col" className="pr-6 font-medium">
                {dayLabel}
              </th>
              <th scope="col" className="text-right font-medium">
                {valueLabel}
              </th>
            </tr>
          </thead>
          <tbody>
            {data.map((d) => (
              <tr key={d.day}>
                <th scope="row" className="pr-6 font-normal">
                  <time dateTime={d.day}>{longDate.format(utcDate(d.day))}</time>
                </th>
                <td className="text-right tabular-nums">{number.format(d.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
