/**
 * `/admin/webhooks`: the instance's webhook endpoints and a form to add one. The signing secret appears once, in the
 * answer to the form post that created it (never in a URL, a redirect or a later page). Plain forms: works without
 * JavaScript. Each endpoint's page (`/admin/webhooks/:endpointId`) has its deliveries, rotation, replay and test.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["webhooks"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("webhooks.title") }];

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  return caller.webhook.list();
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const form = await readFormData(args.request);
  const values = { url: String(form.get("url") ?? ""), description: String(form.get("description") ?? ""), eventTypes: form.getAll("eventTypes").map(String) };
  const caller = await getCaller(args);
  try {
    const created = await caller.webhook.create({ url: values.url, description: values.description, eventTypes: values.eventTypes as never });
    const headers = new Headers(await getAuthHeaders(args));
    headers.set("Cache-Control", "no-store");
    return data({ created: { id: created.endpoint.id, url: created.endpoint.url, secret: created.secret }, values: null, fieldErrors: {}, formError: null }, { headers });
  } catch (error) {
    return formErrorResponse(args, error, { created: null, values });
  }
}

export default function Webhooks() {
  const t = useT();
  const message = useFormMessage();
  const { endpoints, eventTypes } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const failed = result && !result.created ? result : null;
  const otherError = failed
    ? failed.formError
      ? message(failed.formError)
      : message(Object.entries(failed.fieldErrors).find(([field]) => !["url", "description"].includes(field))?.[1])
    : null;

  return (
    <div className="flex flex-col gap-10">
      <section aria-labelledby="webhooks-title" className="flex flex-col gap-4">
        <h2 id="webhooks-title" className="text-xl font-semibold">
          {t("webhooks.title")}
        </h2>
        <p className="text-muted">{t("webhooks.lead")}</p>
        {result?.created ? (
          <div role="status" className="flex flex-col gap-2 rounded-lk border border-primary p-4">
            <p className="font-medium">{t("webhooks.created", { url: result.created.url })}</p>
            <p>{t("webhooks.secretOnce")}</p>
            <label htmlFor="new-secret" className="text-sm font-medium">
              {t("webhooks.secretLabel")}
            </label>
            <input id="new-secret" readOnly value={result.created.secret} className="rounded-lk border border-border bg-subtle px-2 py-1 font-mono text-sm" />
            <p className="text-sm text-muted">{t("webhooks.copyHint")}</p>
            <Link to={`/admin/webhooks/${result.created.id}`} className="text-primary underline">
              {t("webhooks.openEndpoint")}
            </Link>
          </div>
        ) : null}
        {endpoints.length === 0 ? (
          <p className="text-muted">{t("webhooks.empty")}</p>
        ) : (
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{t("webhooks.title")}</caption>
            <thead>
              <tr className="border-b border-border">
                <th scope="col" className="py-2 pr-4">{t("webhooks.url")}</th>
                <th scope="col" className="py-2 pr-4">{t("webhooks.events")}</th>
                <th scope="col" className="py-2 pr-4">{t("webhooks.state")}</th>
                <th scope="col" className="py-2 pr-4">{t("webhooks.deliveryCounts")}</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((endpoint) => (
                <tr key={endpoint.id} className="border-b border-border align-top">
                  <td className="py-2 pr-4">
                    <Link to={`/admin/webhooks/${endpoint.id}`} className="break-all text-primary underline">
                      {endpoint.url}
                    </Link>
                    {endpoint.description ? <div className="text-muted">{endpoint.description}</div> : null}
                  </td>
                  <td className="py-2 pr-4">{endpoint.eventTypes.length === 0 ? t("webhooks.allEvents") : endpoint.eventTypes.join(", ")}</td>
                  <td className="py-2 pr-4">{endpoint.enabled ? t("webhooks.enabled") : t("webhooks.disabled")}</td>
                  <td className="py-2 pr-4">
                    {t("webhooks.counts", { succeeded: endpoint.deliveries.succeeded, failed: endpoint.deliveries.failed + endpoint.deliveries.pending, dead: endpoint.deliveries.dead })}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="webhooks-add" className="flex flex-col gap-4">
        <h2 id="webhooks-add" className="text-xl font-semibold">
          {t("webhooks.add.title")}
        </h2>
        <Form method="post" className="flex max-w-xl flex-col gap-4" noValidate>
          <FormError>{otherError}</FormError>
          <TextField
            label={t("webhooks.url")}
            description={t("webhooks.add.urlHelp")}
            name="url"
            type="url"
            required
            maxLength={2048}
            defaultValue={failed?.values?.url ?? ""}
            error={failed ? message(failed.fieldErrors.url) : null}
          />
          <TextField
            label={t("webhooks.description")}
            name="description"
            maxLength={500}
            defaultValue={failed?.values?.description ?? ""}
            error={failed ? message(failed.fieldErrors.description) : null}
          />
          <fieldset className="flex flex-col gap-1">
            <legend className="text-sm font-medium">{t("webhooks.add.events")}</legend>
            <p className="text-sm text-muted">{t("webhooks.add.eventsHelp")}</p>
            <div className="grid grid-cols-1 gap-1 sm:grid-cols-2">
              {eventTypes.map((type) => (
                <label key={type} className="flex items-center gap-2 text-sm">
                  <input type="checkbox" name="eventTypes" value={type} defaultChecked={failed?.values?.eventTypes.includes(type) ?? false} />
                  <code>{type}</code>
                </label>
              ))}
            </div>
          </fieldset>
          <Button pending={navigation.state === "submitting"} className="self-start">
            {t("webhooks.add.submit")}
          </Button>
        </Form>
      </section>
    </div>
  );
}
