/**
 * The organization's domains. Everyone with `org:sys_domains:read` sees them with their status and enrollment mode;
 * adding, sending a code, verifying, changing the mode and removing show only with `org:sys_domains:manage` (the
 * procedures enforce it regardless). Every action is a plain form with a hidden `intent`, so the page works without
 * JavaScript; a success redirects back (post/redirect/get).
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import type { MessageKey } from "~/i18n/dictionary";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["domains"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("domains.title") }];

const modes = ["manual_invitation", "automatic_invitation", "automatic_suggestion"] as const;
type Mode = (typeof modes)[number];
const modeKeys: Record<Mode, MessageKey> = {
  manual_invitation: "domains.mode.manual_invitation",
  automatic_invitation: "domains.mode.automatic_invitation",
  automatic_suggestion: "domains.mode.automatic_suggestion",
};

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args, { permission: "org:sys_domains:read" });
  const caller = await getCaller(args);
  return { domains: await caller.domain.list(), canManage: auth.has({ permission: "org:sys_domains:manage" }) };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { organization: true });
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const target = String(form.get("domainId") ?? "");
  const values = { domain: String(form.get("domain") ?? ""), email: String(form.get("email") ?? ""), code: String(form.get("code") ?? "") };
  const caller = await getCaller(args);
  const url = new URL(args.request.url);
  try {
    switch (intent) {
      case "add":
        await caller.domain.add({ domain: values.domain });
        break;
      case "send-code":
        await caller.domain.sendVerification({ domainId: target, email: values.email });
        break;
      case "verify":
        await caller.domain.verify({ domainId: target, code: values.code });
        break;
      case "set-mode":
        await caller.domain.setEnrollmentMode({ domainId: target, mode: String(form.get("mode") ?? "") as Mode });
        break;
      case "remove":
        await caller.domain.remove({ domainId: target });
        break;
      default:
        break;
    }
  } catch (error) {
    // A duplicate here is a domain the organization already has, not a taken slug.
    return formErrorResponse(args, error, { intent, target, values }, { ALREADY_EXISTS: "domains.errors.alreadyAdded" });
  }
  throw redirect(url.pathname, { headers: await getAuthHeaders(args) });
}

export default function Domains() {
  const t = useT();
  const message = useFormMessage();
  const { domains, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = (intent: string, target = "") =>
    navigation.state === "submitting" && navigation.formData?.get("intent") === intent && String(navigation.formData?.get("domainId") ?? "") === target;
  const mine = (intent: string, target = "") => result !== undefined && result.intent === intent && result.target === target;
  const fieldError = (intent: string, target: string, field: string) => (mine(intent, target) ? message(result?.fieldErrors[field]) : null);
  /** A failure that is not about one of the form's fields (not found, rate limited, a wrong hidden id …). */
  const formError = (intent: string, target: string, fields: string[]) => {
    if (!mine(intent, target) || !result) return null;
    if (result.formError) return message(result.formError);
    const other = Object.entries(result.fieldErrors).find(([field]) => !fields.includes(field));
    return other ? message(other[1]) : null;
  };

  return (
    <div className="flex flex-col gap-10">
      <section aria-labelledby="domains-title" className="flex flex-col gap-4">
        <h2 id="domains-title" className="text-xl font-semibold">
          {t("domains.title")}
        </h2>
        <p className="text-muted">{t("domains.lead")}</p>
        {domains.length === 0 ? (
          <p className="text-muted">{t("domains.empty")}</p>
        ) : (
          <ul className="flex flex-col divide-y divide-border rounded-lk border border-border" aria-labelledby="domains-title">
            {domains.map((domain) => (
              <li key={domain.id} className="flex flex-col gap-3 px-4 py-3">
                <div className="flex flex-wrap items-center justify-between gap-4">
                  <div className="flex flex-col">
                    <span className="font-medium">{domain.domain}</span>
                    <span className="text-sm text-muted">
                      {domain.verified ? t("domains.verified") : t("domains.unverified")} · {t("domains.modeLabel", { mode: t(modeKeys[domain.enrollmentMode]) })}
                    </span>
                  </div>
                  {canManage ? (
                    <Form method="post">
                      <input type="hidden" name="intent" value="remove" />
                      <input type="hidden" name="domainId" value={domain.id} />
                      <Button variant="danger" pending={submitting("remove", domain.id)} aria-label={t("domains.removeFor", { domain: domain.domain })}>
                        {t("domains.remove")}
                      </Button>
                    </Form>
                  ) : null}
                </div>
                <FormError>{formError("remove", domain.id, [])}</FormError>

                {canManage && !domain.verified ? (
                  <div className="flex flex-col gap-3">
                    <Form method="post" className="flex flex-col gap-2" noValidate>
                      <input type="hidden" name="intent" value="send-code" />
                      <input type="hidden" name="domainId" value={domain.id} />
                      <FormError>{formError("send-code", domain.id, ["email"])}</FormError>
                      <TextField
                        label={t("domains.sendCode.label", { domain: domain.domain })}
                        name="email"
                        type="email"
                        autoComplete="off"
                        required
                        maxLength={254}
                        defaultValue={mine("send-code", domain.id) ? result?.values.email : (domain.verificationEmail ?? "")}
                        error={fieldError("send-code", domain.id, "email")}
                      />
                      <Button variant="secondary" pending={submitting("send-code", domain.id)} className="self-start">
                        {domain.verificationEmail ? t("domains.sendCode.resend") : t("domains.sendCode.submit")}
                      </Button>
                    </Form>
                    {domain.verificationEmail ? (
                      <Form method="post" className="flex flex-col gap-2" noValidate>
                        <input type="hidden" name="intent" value="verify" />
                        <input type="hidden" name="domainId" value={domain.id} />
                        <p role="status" className="text-sm">
                          {t("domains.sendCode.sentTo", { email: domain.verificationEmail })}
                        </p>
                        <FormError>{formError("verify", domain.id, ["code"])}</FormError>
                        <TextField
                          label={t("domains.verify.label")}
                          name="code"
                          inputMode="numeric"
                          autoComplete="one-time-code"
                          required
                          maxLength={32}
                          error={fieldError("verify", domain.id, "code")}
                        />
                        <Button pending={submitting("verify", domain.id)} className="self-start">
                          {t("domains.verify.submit")}
                        </Button>
                      </Form>
                    ) : null}
                  </div>
                ) : null}

                {canManage && domain.verified ? (
                  <Form method="post" className="flex flex-wrap items-end gap-2">
                    <input type="hidden" name="intent" value="set-mode" />
                    <input type="hidden" name="domainId" value={domain.id} />
                    <div className="flex flex-col gap-1">
                      <label htmlFor={`mode-${domain.id}`} className="text-sm font-medium">
                        {t("domains.enrollment.label")}
                      </label>
                      <select
                        id={`mode-${domain.id}`}
                        name="mode"
                        defaultValue={domain.enrollmentMode}
                        aria-invalid={fieldError("set-mode", domain.id, "mode") ? true : undefined}
                        className="min-h-10 rounded-lk border border-border bg-bg px-2"
                      >
                        {modes.map((mode) => (
                          <option key={mode} value={mode}>
                            {t(modeKeys[mode])}
                          </option>
                        ))}
                      </select>
                    </div>
                    <Button variant="secondary" pending={submitting("set-mode", domain.id)} aria-label={t("domains.enrollment.saveFor", { domain: domain.domain })}>
                      {t("domains.enrollment.submit")}
                    </Button>
                    <FormError>{formError("set-mode", domain.id, [])}</FormError>
                  </Form>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      {canManage ? (
        <section aria-labelledby="add-domain-title" className="flex max-w-xl flex-col gap-4">
          <h2 id="add-domain-title" className="text-xl font-semibold">
            {t("domains.add.title")}
          </h2>
          <Form method="post" className="flex flex-col gap-4" noValidate>
            <input type="hidden" name="intent" value="add" />
            <FormError>{formError("add", "", ["domain"])}</FormError>
            <TextField
              label={t("domains.add.label")}
              name="domain"
              required
              maxLength={253}
              autoComplete="off"
              description={t("domains.add.hint")}
              defaultValue={mine("add") ? result?.values.domain : ""}
              error={fieldError("add", "", "domain")}
            />
            <Button pending={submitting("add")} className="self-start">
              {t("domains.add.submit")}
            </Button>
          </Form>
        </section>
      ) : null}
    </div>
  );
}
