/**
 * "My organizations": the ones the user is in, invitations to their verified addresses (join or decline without the
 * emailed link) and organizations offered through verified domains (join or dismiss). Plain forms with a hidden
 * `intent`, so it works without JavaScript; joining opens the organization.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { metaT } from "~/i18n/meta";
import type { MessageKey } from "~/i18n/dictionary";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["orgs"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("orgs.list.title") }];

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args);
  const caller = await getCaller(args);
  const [organizations, invitations, suggestions] = await Promise.all([
    caller.organization.listMine(),
    caller.organization.pendingInvitations(),
    caller.organization.suggestions(),
  ]);
  return { organizations, invitations, suggestions };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args);
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const target = String(form.get("invitationId") ?? form.get("organizationId") ?? "");
  const caller = await getCaller(args);
  let next = "/orgs";
  try {
    switch (intent) {
      case "accept-invitation":
        next = `/org/${(await caller.invitation.acceptById({ invitationId: target })).organization.slug}`;
        break;
      case "decline-invitation":
        await caller.invitation.declineById({ invitationId: target });
        break;
      case "accept-suggestion":
        next = `/org/${(await caller.organization.acceptSuggestion({ organizationId: target })).organization.slug}`;
        break;
      case "dismiss-suggestion":
        await caller.organization.dismissSuggestion({ organizationId: target });
        break;
      default:
        break;
    }
  } catch (error) {
    // Gone since the page was shown (used, revoked, the domain removed): one plain sentence.
    return formErrorResponse(args, error, { intent, target }, { NOT_FOUND: "orgs.list.notAvailable", INVITATION_INVALID: "orgs.list.notAvailable" });
  }
  throw redirect(next, { headers: await getAuthHeaders(args) });
}

const roleKeys: Partial<Record<string, MessageKey>> = {
  "org:admin": "orgs.list.role.org:admin",
  "org:member": "orgs.list.role.org:member",
};

export default function Organizations() {
  const t = useT();
  const message = useFormMessage();
  const { organizations, invitations, suggestions } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = (intent: string, target: string) =>
    navigation.state === "submitting" &&
    navigation.formData?.get("intent") === intent &&
    String(navigation.formData?.get("invitationId") ?? navigation.formData?.get("organizationId") ?? "") === target;
  const errorFor = (intents: string[], target: string) =>
    result && intents.includes(result.intent) && result.target === target ? message(result.formError ?? Object.values(result.fieldErrors)[0]) : null;
  const roleName = (key: string) => {
    const messageKey = roleKeys[key];
    return messageKey ? t(messageKey) : key;
  };

  return (
    <div className="flex flex-col gap-10 py-6">
      <section aria-labelledby="orgs-title" className="flex flex-col gap-4">
        <div className="flex flex-wrap items-center justify-between gap-4">
          <h1 id="orgs-title" className="text-2xl font-semibold">
            {t("orgs.list.title")}
          </h1>
          <Link to="/orgs/new" className="rounded-lk bg-primary px-3 py-1.5 text-primary-fg hover:bg-primary-hover">
            {t("orgs.list.create")}
          </Link>
        </div>
        {organizations.length === 0 ? (
          <p className="text-muted">{t("orgs.list.empty")}</p>
        ) : (
          <ul className="flex flex-col divide-y divide-border rounded-lk border border-border" aria-labelledby="orgs-title">
            {organizations.map((org) => (
              <li key={org.id} className="flex flex-wrap items-center justify-between gap-4 px-4 py-3">
                <Link to={`/org/${org.slug}`} className="font-medium text-primary underline">
                  {org.name}
                </Link>
                <span className="text-sm text-muted">{org.roles.map(roleName).join(", ")}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="invitations-title" className="flex flex-col gap-4">
        <h2 id="invitations-title" className="text-xl font-semibold">
          {t("orgs.list.invitations")}
        </h2>
        {invitations.length === 0 ? (
          <p className="text-muted">{t("orgs.list.invitationsEmpty")}</p>
        ) : (
          <ul className="flex flex-col divide-y divide-border rounded-lk border border-border" aria-labelledby="invitations-title">
            {invitations.map((invitation) => (
              <li key={invitation.id} className="flex flex-col gap-2 px-4 py-3">
                <div className="flex flex-wrap items-center justify-between gap-4">
                  <div className="flex flex-col">
                    <span className="font-medium">{invitation.organizationName}</span>
                    <span className="text-sm text-muted">{t("orgs.list.invitationDetails", { role: invitation.roleName, email: invitation.email })}</span>
                  </div>
                  <div className="flex gap-2">
                    <Form method="post">
                      <input type="hidden" name="intent" value="accept-invitation" />
                      <input type="hidden" name="invitationId" value={invitation.id} />
                      <Button pending={submitting("accept-invitation", invitation.id)} aria-label={t("orgs.list.joinNamed", { name: invitation.organizationName })}>
                        {t("orgs.list.join")}
                      </Button>
                    </Form>
                    <Form method="post">
                      <input type="hidden" name="intent" value="decline-invitation" />
                      <input type="hidden" name="invitationId" value={invitation.id} />
                      <Button
                        variant="secondary"
                        pending={submitting("decline-invitation", invitation.id)}
                        aria-label={t("orgs.list.declineNamed", { name: invitation.organizationName })}
                      >
                        {t("orgs.list.decline")}
                      </Button>
                    </Form>
                  </div>
                </div>
                <FormError>{errorFor(["accept-invitation", "decline-invitation"], invitation.id)}</FormError>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="suggestions-title" className="flex flex-col gap-4">
        <h2 id="suggestions-title" className="text-xl font-semibold">
          {t("orgs.list.suggestions")}
        </h2>
        {suggestions.length === 0 ? (
          <p className="text-muted">{t("orgs.list.suggestionsEmpty")}</p>
        ) : (
          <ul className="flex flex-col divide-y divide-border rounded-lk border border-border" aria-labelledby="suggestions-title">
            {suggestions.map((suggestion) => (
              <li key={suggestion.organizationId} className="flex flex-col gap-2 px-4 py-3">
                <div className="flex flex-wrap items-center justify-between gap-4">
                  <div className="flex flex-col">
                    <span className="font-medium">{suggestion.name}</span>
                    <span className="text-sm text-muted">
                      {suggestion.kind === "invitation"
                        ? t("orgs.list.invitationFromDomain", { domain: suggestion.domain })
                        : t("orgs.list.suggestionDetails", { domain: suggestion.domain })}
                    </span>
                  </div>
                  <div className="flex gap-2">
                    <Form method="post">
                      <input type="hidden" name="intent" value="accept-suggestion" />
                      <input type="hidden" name="organizationId" value={suggestion.organizationId} />
                      <Button pending={submitting("accept-suggestion", suggestion.organizationId)} aria-label={t("orgs.list.joinNamed", { name: suggestion.name })}>
                        {t("orgs.list.join")}
                      </Button>
                    </Form>
                    <Form method="post">
                      <input type="hidden" name="intent" value="dismiss-suggestion" />
                      <input type="hidden" name="organizationId" value={suggestion.organizationId} />
                      <Button
                        variant="secondary"
                        pending={submitting("dismiss-suggestion", suggestion.organizationId)}
                        aria-label={t("orgs.list.dismissNamed", { name: suggestion.name })}
                      >
                        {t("orgs.list.dismiss")}
                      </Button>
                    </Form>
                  </div>
                </div>
                <FormError>{errorFor(["accept-suggestion", "dismiss-suggestion"], suggestion.organizationId)}</FormError>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
