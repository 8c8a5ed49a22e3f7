/** `/admin/webhooks/:endpointId/deliveries/:deliveryId`: what was sent, every attempt, and a replay button. */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { deliveryStatusKeys as statusKeys } from "~/lib/webhook-status";

export const headers = formRouteHeaders;

export const handle = { i18n: ["webhooks"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("webhooks.delivery.title") }];

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  try {
    const delivery = await caller.webhook.delivery({ deliveryId: args.params.deliveryId ?? "" });
    if (delivery.endpointId !== args.params.endpointId) throw new Response("Not found", { status: 404 });
    return { delivery, payload: JSON.stringify(delivery.event.data, null, 2) };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "NOT_FOUND" || code === "BAD_REQUEST") throw new Response("Not found", { status: 404 });
    throw error;
  }
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  try {
    await caller.webhook.replay({ deliveryId: args.params.deliveryId ?? "" });
  } catch (error) {
    return formErrorResponse(args, error, {});
  }
  throw redirect(new URL(args.request.url).pathname, { headers: await getAuthHeaders(args) });
}

export default function WebhookDelivery() {
  const t = useT();
  const locale = useLocale();
  const message = useFormMessage();
  const { delivery, payload } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const time = (value: Date) => (
    <time dateTime={value.toISOString()}>{value.toLocaleString(locale, { dateStyle: "short", timeStyle: "medium", timeZone: "UTC" })} UTC</time>
  );
  return (
    <div className="flex flex-col gap-8">
      <p>
        <Link to={`/admin/webhooks/${delivery.endpointId}`} className="text-primary underline">
          {t("webhooks.backToEndpoint")}
        </Link>
      </p>
      <section aria-labelledby="delivery-title" className="flex flex-col gap-4">
        <h2 id="delivery-title" className="text-xl font-semibold">
          <code>{delivery.event.type}</code>
        </h2>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-muted">{t("webhooks.delivery.id")}</dt>
          <dd>
            <code>{delivery.id}</code>
          </dd>
          <dt className="text-muted">{t("webhooks.col.status")}</dt>
          <dd>{t(statusKeys[delivery.status])}</dd>
          <dt className="text-muted">{t("webhooks.col.attempts")}</dt>
          <dd>{delivery.attempts}</dd>
          {delivery.nextAttemptAt ? (
            <>
              <dt className="text-muted">{t("webhooks.delivery.next")}</dt>
              <dd>{time(delivery.nextAttemptAt)}</dd>
            </>
          ) : null}
        </dl>
        <Form method="post">
          <Button variant="secondary" pending={navigation.state === "submitting"}>
            {t("webhooks.replay")}
          </Button>
        </Form>
        <FormError>{result ? message(result.formError) : null}</FormError>
      </section>
      <section aria-labelledby="attempts-title" className="flex flex-col gap-4">
        <h2 id="attempts-title" className="text-lg font-semibold">
          {t("webhooks.delivery.attempts")}
        </h2>
        {delivery.log.length === 0 ? (
          <p className="text-muted">{t("webhooks.delivery.noAttempts")}</p>
        ) : (
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{t("webhooks.delivery.attempts")}</caption>
            <thead>
              <tr className="border-b border-border">
                <th scope="col" className="py-2 pr-3">{t("webhooks.col.time")}</th>
                <th scope="col" className="py-2 pr-3">{t("webhooks.col.response")}</th>
                <th scope="col" className="py-2 pr-3">{t("webhooks.col.duration")}</th>
                <th scope="col" className="py-2 pr-3">{t("webhooks.delivery.outcome")}</th>
              </tr>
            </thead>
            <tbody>
              {delivery.log.map((attempt) => (
                <tr key={attempt.id} className="border-b border-border">
                  <td className="py-2 pr-3">{time(attempt.attemptedAt)}</td>
                  <td className="py-2 pr-3">{attempt.statusCode ?? "—"}</td>
                  <td className="py-2 pr-3">{t("webhooks.ms", { ms: attempt.durationMs })}</td>
                  <td className="py-2 pr-3">{attempt.succeeded ? t("webhooks.status.succeeded") : (attempt.error ?? t("webhooks.status.failed"))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="payload-title" className="flex flex-col gap-2">
        <h2 id="payload-title" className="text-lg font-semibold">
          {t("webhooks.delivery.payload")}
        </h2>
        <pre className="overflow-x-auto whitespace-pre-wrap break-words rounded-lk bg-subtle p-3 text-sm">{payload}</pre>
      </section>
    </div>
  );
}
