/**
 * The audit log view shared by `/org/:slug/audit` and `/admin/audit`: a GET filter form (works without JavaScript),
 * the events table (times in UTC), previous/next links and an "Export JSON Lines" link carrying the filters.
 */
import { Form, Link } from "@remix-run/react";
import { useId } from "react";
import type { AuditEventView } from "@latchkey/api";
import type { MessageKey } from "~/i18n/dictionary";
import { useT } from "~/i18n/react";
import { Button } from "./button";
import { TextField } from "./text-field";

type Filters = Record<"actor" | "action" | "outcome" | "from" | "to", string>;

export interface AuditLogViewProps {
  title: string;
  lead: string;
  filters: Filters;
  fieldErrors: Partial<Record<keyof Filters, MessageKey>>;
  events: AuditEventView[];
  nextCursor: string | null;
  prevCursor: string | null;
  /** The page's path, e.g. `/org/acme/audit`; the export is `${path}.jsonl`. */
  path: string;
  /** Show which organization an event belongs to (the instance view). */
  showOrganization?: boolean;
}

const outcomeKeys = { success: "audit.outcome.success", failure: "audit.outcome.failure", denied: "audit.outcome.denied" } as const satisfies Record<string, MessageKey>;

/** `2025-01-31 12:34:56 UTC`, the same in every language and time zone (server and browser agree). */
function utc(date: Date | string): string {
  return `${new Date(date).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function query(filters: Filters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filters, ...extra })) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function AuditLogView(props: AuditLogViewProps) {
  const t = useT();
  const titleId = useId();
  const { filters, fieldErrors, events } = props;
  const error = (name: keyof Filters) => (fieldErrors[name] ? t(fieldErrors[name]) : null);
  return (
    <section aria-labelledby={titleId} className="flex flex-col gap-6">
      <div className="flex flex-col gap-1">
        <h2 id={titleId} className="text-xl font-semibold">
          {props.title}
        </h2>
        <p className="text-sm text-muted">{props.lead}</p>
      </div>
      <Form method="get" role="search" aria-label={t("audit.filters")} className="grid grid-cols-1 items-end gap-3 sm:grid-cols-3">
        <TextField label={t("audit.filter.actor")} name="actor" defaultValue={filters.actor} maxLength={254} error={error("actor")} description={t("audit.filter.actorHelp")} />
        <TextField label={t("audit.filter.action")} name="action" defaultValue={filters.action} maxLength={100} error={error("action")} description={t("audit.filter.actionHelp")} />
        <OutcomeSelect value={filters.outcome} error={error("outcome")} />
        <TextField label={t("audit.filter.from")} name="from" type="date" defaultValue={filters.from} error={error("from")} />
        <TextField label={t("audit.filter.to")} name="to" type="date" defaultValue={filters.to} error={error("to")} />
        <div className="flex items-center gap-3">
          <Button variant="secondary">{t("audit.filter.submit")}</Button>
          <Link to={props.path} className="text-primary underline">
            {t("audit.filter.clear")}
          </Link>
        </div>
      </Form>
      <p>
        <a href={`${props.path}.jsonl${query(filters)}`} className="text-primary underline" download>
          {t("audit.export")}
        </a>
      </p>
      {events.length === 0 ? (
        <p className="text-muted">{t("audit.empty")}</p>
      ) : (
        <div className="overflow-x-auto rounded-lk border border-border">
          <table className="w-full border-collapse text-sm" aria-labelledby={titleId}>
            <thead className="bg-subtle text-left">
              <tr>
                <th scope="col" className="px-3 py-2">{t("audit.column.time")}</th>
                <th scope="col" className="px-3 py-2">{t("audit.column.actor")}</th>
                <th scope="col" className="px-3 py-2">{t("audit.column.action")}</th>
                <th scope="col" className="px-3 py-2">{t("audit.column.outcome")}</th>
                <th scope="col" className="px-3 py-2">{t("audit.column.target")}</th>
                {props.showOrganization ? <th scope="col" className="px-3 py-2">{t("audit.column.organization")}</th> : null}
                <th scope="col" className="px-3 py-2">{t("audit.column.ip")}</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-border">
              {events.map((event) => (
                <tr key={event.id}>
                  <td className="whitespace-nowrap px-3 py-2">
                    <time dateTime={new Date(event.occurredAt).toISOString()}>{utc(event.occurredAt)}</time>
                  </td>
                  <td className="px-3 py-2">
                    <Actor actor={event.actor} />
                  </td>
                  <td className="px-3 py-2 font-mono">{event.action}</td>
                  <td className="px-3 py-2">{t(outcomeKeys[event.outcome])}</td>
                  <td className="px-3 py-2 font-mono text-xs">{event.target ? [event.target.type, event.target.id].filter(Boolean).join(" ") : "—"}</td>
                  {props.showOrganization ? <td className="px-3 py-2 font-mono text-xs">{event.organizationId ?? "—"}</td> : null}
                  <td className="px-3 py-2 font-mono text-xs">{event.ip ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav aria-label={t("audit.pages")} className="flex gap-4">
        {props.prevCursor ? (
          <Link to={query(filters, { cursor: props.prevCursor })} className="text-primary underline">
            {t("audit.previous")}
          </Link>
        ) : null}
        {props.nextCursor ? (
          <Link to={query(filters, { cursor: props.nextCursor })} className="text-primary underline">
            {t("audit.next")}
          </Link>
        ) : null}
      </nav>
    </section>
  );
}

function Actor({ actor }: { actor: AuditEventView["actor"] }) {
  const t = useT();
  if (!actor) return <span className="text-muted">—</span>;
  if (actor.type === "system") return <span>{t("audit.actor.system")}</span>;
  if (!actor.exists) return <span className="text-muted">{t("audit.actor.deleted", { id: actor.userId })}</span>;
  return (
    <span className="flex flex-col">
      <span>{actor.name ?? actor.email ?? actor.userId}</span>
      {actor.name && actor.email ? <span className="text-xs text-muted">{actor.email}</span> : null}
    </span>
  );
}

function OutcomeSelect({ value, error }: { value: string; error: string | null }) {
  const t = useT();
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {t("audit.filter.outcome")}
      </label>
      <select
        id={id}
        name="outcome"
        defaultValue={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className="min-h-10 rounded-lk border border-border bg-bg px-3 py-2 text-fg"
      >
        <option value="">{t("audit.outcome.any")}</option>
        <option value="success">{t("audit.outcome.success")}</option>
        <option value="failure">{t("audit.outcome.failure")}</option>
        <option value="denied">{t("audit.outcome.denied")}</option>
      </select>
      {error ? (
        <p id={`${id}-error`} role="alert" className="text-sm text-danger">
          {error}
        </p>
      ) : null}
    </div>
  );
}
