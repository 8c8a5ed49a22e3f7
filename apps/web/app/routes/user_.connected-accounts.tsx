/**
 * oauth: the caller's connected accounts. Connecting goes through the provider (the same start/callback as sign-in,
 * with intent=link bound in the state); disconnecting is a plain form, refused for the last way to sign in.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useId } from "react";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { OAuthButtons } from "~/components/oauth-buttons";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { oauthButtons } from "~/lib/oauth.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["connected", "user.title", "oauth.divider", "oauth.continueWith"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("connected.title") }];

const PAGE = "/user/connected-accounts";

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args);
  const caller = await getCaller(args);
  const accounts = await caller.oauth.connectedAccounts();
  const done = new URL(args.request.url).searchParams.get("done");
  const providers = oauthButtons();
  return {
    accounts: accounts.map((account) => ({
      ...account,
      providerLabel: providers.find((p) => p.id === account.provider)?.label ?? (account.provider.startsWith("sso_") ? "SSO" : account.provider),
    })),
    providers,
    done: done === "linked" || done === "unlinked" ? done : null,
  };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args);
  const form = await readFormData(args.request);
  const id = String(form.get("id") ?? "");
  try {
    await (await getCaller(args)).oauth.unlink({ id });
  } catch (error) {
    return formErrorResponse(args, error, { id });
  }
  throw redirect(`${PAGE}?done=unlinked`, { headers: await getAuthHeaders(args) });
}

export default function ConnectedAccounts() {
  const t = useT();
  const message = useFormMessage();
  const titleId = useId();
  const { accounts, providers, done } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  return (
    <section aria-labelledby={titleId} className="mx-auto flex w-full max-w-2xl flex-col gap-6 py-10">
      <h1 id={titleId} className="text-2xl font-semibold">
        {t("connected.title")}
      </h1>
      <p className="text-muted">{t("connected.lead")}</p>
      {done ? (
        <p role="status" className="rounded-lk border border-border p-3">
          {t(done === "linked" ? "connected.linked" : "connected.unlinked")}
        </p>
      ) : null}
      <FormError>{message(result?.formError ?? Object.values(result?.fieldErrors ?? {})[0])}</FormError>
      {accounts.length === 0 ? (
        <p className="text-muted">{t("connected.empty")}</p>
      ) : (
        <ul className="flex flex-col divide-y divide-border rounded-lk border border-border" aria-labelledby={titleId}>
          {accounts.map((account) => {
            const name = account.email ?? account.username ?? account.id;
            return (
              <li key={account.id} className="flex flex-wrap items-center justify-between gap-4 px-4 py-3">
                <div className="flex flex-col">
                  <span className="font-medium">{account.providerLabel}</span>
                  <span className="text-sm text-muted">{name}</span>
                </div>
                <Form method="post">
                  <input type="hidden" name="id" value={account.id} />
                  <Button
                    variant="danger"
                    pending={navigation.state === "submitting" && navigation.formData?.get("id") === account.id}
                    aria-label={t("connected.disconnectFor", { provider: account.providerLabel, account: name })}
                  >
                    {t("connected.disconnect")}
                  </Button>
                </Form>
              </li>
            );
          })}
        </ul>
      )}
      {providers.length === 0 ? <p className="text-muted">{t("connected.noProviders")}</p> : <OAuthButtons providers={providers} redirectUrl={PAGE} intent="link" />}
      <p>
        <Link to="/user" className="text-primary underline">
          {t("user.title")}
        </Link>
      </p>
    </section>
  );
}
