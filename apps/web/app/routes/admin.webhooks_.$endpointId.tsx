/**
 * `/admin/webhooks/:endpointId`: one endpoint — its settings (URL, description, events, enabled), secret rotation
 * (the new secret shown once, the old one signing alongside for 24 hours), a test message, deletion, and its
 * deliveries with status, response code, duration and a replay button. Plain forms with a hidden `intent`.
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import type { MessageKey } from "~/i18n/dictionary";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import type { FormMessage } from "~/lib/form-message";
import { formRouteHeaders } from "~/lib/route-headers";
import { deliveryStatusKeys, deliveryStatuses, type DeliveryStatus } from "~/lib/webhook-status";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["webhooks"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("webhooks.endpoint.title") }];

const statuses = deliveryStatuses;
type Status = DeliveryStatus;
const statusKeys = deliveryStatusKeys;

function notFound(): never {
  throw new Response("Not found", { status: 404 });
}

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  const url = new URL(args.request.url);
  const endpointId = args.params.endpointId ?? "";
  const status = url.searchParams.get("status");
  const before = url.searchParams.get("before");
  try {
    const [endpoint, list, catalogue] = await Promise.all([
      caller.webhook.get({ endpointId }),
      caller.webhook.deliveries({
        endpointId,
        status: (statuses as readonly string[]).includes(status ?? "") ? (status as Status) : undefined,
        before: before || undefined,
      }),
      caller.webhook.list(),
    ]);
    return { endpoint, deliveries: list.deliveries, nextBefore: list.nextBefore, status, eventTypes: catalogue.eventTypes };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "NOT_FOUND" || code === "BAD_REQUEST") notFound();
    throw error;
  }
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const endpointId = args.params.endpointId ?? "";
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const target = String(form.get("deliveryId") ?? "");
  const values = { url: String(form.get("url") ?? ""), description: String(form.get("description") ?? ""), eventTypes: form.getAll("eventTypes").map(String) };
  const caller = await getCaller(args);
  const url = new URL(args.request.url);
  const back = `${url.pathname}${url.search}`;
  try {
    switch (intent) {
      case "save":
        await caller.webhook.update({ endpointId, url: values.url, description: values.description, eventTypes: values.eventTypes as never });
        break;
      case "enable":
      case "disable":
        await caller.webhook.update({ endpointId, enabled: intent === "enable" });
        break;
      case "rotate": {
        const rotated = await caller.webhook.rotateSecret({ endpointId });
        const headers = new Headers(await getAuthHeaders(args));
        headers.set("Cache-Control", "no-store");
        return data({ intent, target, secret: rotated.secret, values, fieldErrors: {}, formError: null, done: null }, { headers });
      }
      case "test":
        await caller.webhook.sendTest({ endpointId });
        return data({ intent, target, secret: null, values, fieldErrors: {}, formError: null, done: "webhooks.testQueued" as MessageKey }, { headers: await getAuthHeaders(args) });
      case "replay":
        await caller.webhook.replay({ deliveryId: target });
        return data({ intent, target, secret: null, values, fieldErrors: {}, formError: null, done: "webhooks.replayQueued" as MessageKey }, { headers: await getAuthHeaders(args) });
      case "delete":
        await caller.webhook.delete({ endpointId });
        throw redirect("/admin/webhooks", { headers: await getAuthHeaders(args) });
      default:
        break;
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    return formErrorResponse(args, error, { intent, target, secret: null, values, done: null });
  }
  throw redirect(back, { headers: await getAuthHeaders(args) });
}

export default function WebhookEndpoint() {
  const t = useT();
  const locale = useLocale();
  const message = useFormMessage();
  const { endpoint, deliveries, nextBefore, status, eventTypes } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = (intent: string, target = "") =>
    navigation.state === "submitting" && navigation.formData?.get("intent") === intent && String(navigation.formData?.get("deliveryId") ?? "") === target;
  const mine = (intent: string, target = "") => result !== undefined && result.intent === intent && result.target === target;
  const formError = (intent: string, target: string, fields: string[]) => {
    if (!mine(intent, target) || !result) return null;
    if (result.formError) return message(result.formError);
    const other = Object.entries(result.fieldErrors).find(([field]) => !fields.includes(field));
    return other ? message(other[1]) : null;
  };
  const saveFailed = mine("save") && result ? result : null;
  const saveErrors = (saveFailed?.fieldErrors ?? {}) as Record<string, FormMessage | undefined>;
  const time = (value: Date | null) =>
    value ? <time dateTime={value.toISOString()}>{value.toLocaleString(locale, { dateStyle: "short", timeStyle: "medium", timeZone: "UTC" })} UTC</time> : "—";

  return (
    <div className="flex flex-col gap-10">
      <p>
        <Link to="/admin/webhooks" className="text-primary underline">
          {t("webhooks.back")}
        </Link>
      </p>
      <section aria-labelledby="endpoint-title" className="flex flex-col gap-4">
        <h2 id="endpoint-title" className="break-all text-xl font-semibold">
          {endpoint.url}
        </h2>
        <p>
          {endpoint.enabled ? t("webhooks.enabled") : t("webhooks.disabled")}
          {endpoint.previousSecretExpiresAt ? <> · {t("webhooks.rotating")} {time(endpoint.previousSecretExpiresAt)}</> : null}
        </p>
        {result?.done ? <p role="status">{t(result.done)}</p> : null}
        {result?.secret ? (
          <div role="status" className="flex flex-col gap-2 rounded-lk border border-primary p-4">
            <p>{t("webhooks.rotated")}</p>
            <label htmlFor="rotated-secret" className="text-sm font-medium">
              {t("webhooks.secretLabel")}
            </label>
            <input id="rotated-secret" readOnly value={result.secret} className="rounded-lk border border-border bg-subtle px-2 py-1 font-mono text-sm" />
            <p className="text-sm text-muted">{t("webhooks.copyHint")}</p>
          </div>
        ) : null}
        <div className="flex flex-wrap gap-2">
          <Form method="post">
            <input type="hidden" name="intent" value={endpoint.enabled ? "disable" : "enable"} />
            <Button variant="secondary" pending={submitting(endpoint.enabled ? "disable" : "enable")}>
              {endpoint.enabled ? t("webhooks.disable") : t("webhooks.enable")}
            </Button>
          </Form>
          <Form method="post">
            <input type="hidden" name="intent" value="test" />
            <Button variant="secondary" pending={submitting("test")}>
              {t("webhooks.sendTest")}
            </Button>
          </Form>
          <Form method="post">
            <input type="hidden" name="intent" value="rotate" />
            <Button variant="secondary" pending={submitting("rotate")}>
              {t("webhooks.rotate")}
            </Button>
          </Form>
          <Form method="post">
            <input type="hidden" name="intent" value="delete" />
            <Button variant="danger" pending={submitting("delete")}>
              {t("webhooks.delete")}
            </Button>
          </Form>
        </div>
        {["enable", "disable", "test", "rotate", "delete"].map((intent) => (
          <FormError key={intent}>{formError(intent, "", [])}</FormError>
        ))}
      </section>

      <section aria-labelledby="deliveries-title" className="flex flex-col gap-4">
        <h2 id="deliveries-title" className="text-xl font-semibold">
          {t("webhooks.deliveries")}
        </h2>
        <Form method="get" className="flex flex-wrap items-end gap-2">
          <div className="flex flex-col gap-1">
            <label htmlFor="status-filter" className="text-sm font-medium">
              {t("webhooks.filterStatus")}
            </label>
            <select id="status-filter" name="status" defaultValue={status ?? ""} className="min-h-10 rounded-lk border border-border bg-bg px-2">
              <option value="">{t("webhooks.status.any")}</option>
              {statuses.map((s) => (
                <option key={s} value={s}>
                  {t(statusKeys[s])}
                </option>
              ))}
            </select>
          </div>
          <Button variant="secondary">{t("webhooks.filter")}</Button>
        </Form>
        {deliveries.length === 0 ? (
          <p className="text-muted">{t("webhooks.noDeliveries")}</p>
        ) : (
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{t("webhooks.deliveries")}</caption>
            <thead>
              <tr className="border-b border-border">
                <th scope="col" className="py-2 pr-3">{t("webhooks.col.event")}</th>
                <th scope="col" className="py-2 pr-3">{t("webhooks.col.status")}</th>
                <th scope="col" className="py-2 pr-3">{t("webhooks.col.attempts")}</th>
                <th scope="col" className="py-2 pr-3">{t("webhooks.col.response")}</th>
                <th scope="col" className="py-2 pr-3">{t("webhooks.col.duration")}</th>
                <th scope="col" className="py-2 pr-3">{t("webhooks.col.time")}</th>
                <th scope="col" className="py-2 pr-3">{t("webhooks.col.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((delivery) => (
                <tr key={delivery.id} className="border-b border-border align-top">
                  <td className="py-2 pr-3">
                    <Link to={`/admin/webhooks/${endpoint.id}/deliveries/${delivery.id}`} className="text-primary underline">
                      <code>{delivery.eventType}</code>
                    </Link>
                    <div className="text-xs text-muted">
                      <code>{delivery.id}</code>
                    </div>
                  </td>
                  <td className="py-2 pr-3">{t(statusKeys[delivery.status])}</td>
                  <td className="py-2 pr-3">{delivery.attempts}</td>
                  <td className="py-2 pr-3">{delivery.lastStatusCode ?? delivery.lastError ?? "—"}</td>
                  <td className="py-2 pr-3">{delivery.lastDurationMs === null ? "—" : t("webhooks.ms", { ms: delivery.lastDurationMs })}</td>
                  <td className="py-2 pr-3">{time(delivery.lastAttemptAt ?? delivery.createdAt)}</td>
                  <td className="py-2 pr-3">
                    <Form method="post">
                      <input type="hidden" name="intent" value="replay" />
                      <input type="hidden" name="deliveryId" value={delivery.id} />
                      <Button variant="secondary" pending={submitting("replay", delivery.id)} aria-label={t("webhooks.replayFor", { id: delivery.id })}>
                        {t("webhooks.replay")}
                      </Button>
                    </Form>
                    <FormError>{formError("replay", delivery.id, [])}</FormError>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {nextBefore ? (
          <Link to={`?${new URLSearchParams({ ...(status ? { status } : {}), before: nextBefore }).toString()}`} className="text-primary underline">
            {t("webhooks.older")}
          </Link>
        ) : null}
      </section>

      <section aria-labelledby="edit-title" className="flex flex-col gap-4">
        <h2 id="edit-title" className="text-xl font-semibold">
          {t("webhooks.edit.title")}
        </h2>
        <Form method="post" className="flex max-w-xl flex-col gap-4" noValidate>
          <input type="hidden" name="intent" value="save" />
          <FormError>{formError("save", "", ["url", "description"])}</FormError>
          <TextField
            label={t("webhooks.url")}
            name="url"
            type="url"
            required
            maxLength={2048}
            defaultValue={saveFailed?.values.url ?? endpoint.url}
            error={message(saveErrors.url)}
          />
          <TextField
            label={t("webhooks.description")}
            name="description"
            maxLength={500}
            defaultValue={saveFailed?.values.description ?? endpoint.description ?? ""}
            error={message(saveErrors.description)}
          />
          <fieldset className="flex flex-col gap-1">
            <legend className="text-sm font-medium">{t("webhooks.add.events")}</legend>
            <p className="text-sm text-muted">{t("webhooks.add.eventsHelp")}</p>
            <div className="grid grid-cols-1 gap-1 sm:grid-cols-2">
              {eventTypes.map((type) => (
                <label key={type} className="flex items-center gap-2 text-sm">
                  <input type="checkbox" name="eventTypes" value={type} defaultChecked={(saveFailed?.values.eventTypes ?? endpoint.eventTypes).includes(type)} />
                  <code>{type}</code>
                </label>
              ))}
            </div>
          </fieldset>
          <Button pending={submitting("save")} className="self-start">
            {t("webhooks.edit.submit")}
          </Button>
        </Form>
      </section>
    </div>
  );
}
