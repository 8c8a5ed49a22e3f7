/**
 * oauth: the organization's enterprise SSO connection (OpenID Connect). Needs `org:sys_domains:manage` (the connection
 * takes over sign-in for the verified domains). The client secret is write-only. Plain forms with a hidden `intent`.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useId } from "react";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("sso.title") }];

const doneKeys = { saved: "sso.saved", removed: "sso.removed", enabled: "sso.statusEnabled", disabled: "sso.statusDisabled" } as const;

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { permission: "org:sys_domains:manage" });
  const sso = await (await getCaller(args)).oauth.ssoConnection();
  const done = new URL(args.request.url).searchParams.get("done");
  return { ...sso, done: done && Object.hasOwn(doneKeys, done) ? (done as keyof typeof doneKeys) : null };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { permission: "org:sys_domains:manage" });
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "save");
  const values = { issuer: String(form.get("issuer") ?? ""), clientId: String(form.get("clientId") ?? "") };
  const caller = await getCaller(args);
  let done: keyof typeof doneKeys;
  try {
    if (intent === "remove") {
      await caller.oauth.removeSsoConnection();
      done = "removed";
    } else if (intent === "enable" || intent === "disable") {
      await caller.oauth.setSsoEnabled({ enabled: intent === "enable" });
      done = intent === "enable" ? "enabled" : "disabled";
    } else {
      const secret = String(form.get("clientSecret") ?? "");
      await caller.oauth.saveSsoConnection({ ...values, ...(secret ? { clientSecret: secret } : {}) });
      done = "saved";
    }
  } catch (error) {
    return formErrorResponse(args, error, { intent, values });
  }
  throw redirect(`${new URL(args.request.url).pathname}?done=${done}`, { headers: await getAuthHeaders(args) });
}

export default function Sso() {
  const t = useT();
  const message = useFormMessage();
  const titleId = useId();
  const { connection, redirectUri, verifiedDomains, done } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const pending = (intent: string) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  return (
    <section aria-labelledby={titleId} className="flex max-w-2xl flex-col gap-6">
      <h2 id={titleId} className="text-xl font-semibold">
        {t("sso.title")}
      </h2>
      <p className="text-muted">{t("sso.lead")}</p>
      {done ? (
        <p role="status" className="rounded-lk border border-border p-3">
          {t(doneKeys[done])}
        </p>
      ) : null}
      <div className="flex flex-col gap-1">
        <span className="text-sm text-muted">{t("sso.redirectUri")}</span>
        <code className="break-all rounded-lk border border-border p-2">{redirectUri}</code>
      </div>
      <p className="text-sm">{verifiedDomains.length > 0 ? t("sso.domains", { domains: verifiedDomains.join(", ") }) : t("sso.noDomains")}</p>
      {connection ? (
        <div className="flex flex-wrap items-center gap-4">
          <span>{t(connection.enabled ? "sso.statusEnabled" : "sso.statusDisabled")}</span>
          <Form method="post">
            <input type="hidden" name="intent" value={connection.enabled ? "disable" : "enable"} />
            <Button variant="secondary" pending={pending("enable") || pending("disable")}>
              {t(connection.enabled ? "sso.disable" : "sso.enable")}
            </Button>
          </Form>
          <Form method="post">
            <input type="hidden" name="intent" value="remove" />
            <Button variant="danger" pending={pending("remove")}>
              {t("sso.remove")}
            </Button>
          </Form>
        </div>
      ) : (
        <p className="text-muted">{t("sso.none")}</p>
      )}
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="intent" value="save" />
        <FormError>{message(result?.formError)}</FormError>
        <TextField
          label={t("sso.issuer")}
          name="issuer"
          type="url"
          required
          placeholder="https://idp.example.com"
          defaultValue={result?.values.issuer ?? connection?.issuer ?? ""}
          error={message(result?.fieldErrors.issuer)}
        />
        <TextField
          label={t("sso.clientId")}
          name="clientId"
          required
          defaultValue={result?.values.clientId ?? connection?.clientId ?? ""}
          error={message(result?.fieldErrors.clientId)}
        />
        <TextField
          label={t("sso.clientSecret")}
          name="clientSecret"
          type="password"
          autoComplete="off"
          required={!connection}
          description={t("sso.secretHint")}
          error={message(result?.fieldErrors.clientSecret)}
        />
        <Button name="intent" value="save" pending={pending("save")} className="self-start">
          {t("sso.save")}
        </Button>
      </Form>
    </section>
  );
}
