/**
 * oauth: the organization's enterprise SSO connections: OpenID Connect and (saml) SAML 2.0, each optional. Needs
 * `org:sys_domains:manage` (a connection takes over sign-in for the verified domains). The OpenID client secret is
 * write-only. Plain forms with a hidden `intent`; the SAML form is multipart for the metadata file.
 */
import {
  MaxPartSizeExceededError,
  redirect,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { ApiError } from "@latchkey/api";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useId } from "react";
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

export const handle = { i18n: ["sso"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("sso.title") }];

const doneKeys = {
  saved: "sso.saved",
  removed: "sso.removed",
  enabled: "sso.statusEnabled",
  disabled: "sso.statusDisabled",
  "saml-saved": "sso.saml.saved",
  "saml-removed": "sso.saml.removed",
  "saml-enabled": "sso.saml.statusEnabled",
  "saml-disabled": "sso.saml.statusDisabled",
} as const;

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { permission: "org:sys_domains:manage" });
  const caller = await getCaller(args);
  const [sso, saml] = await Promise.all([caller.oauth.ssoConnection(), caller.saml.connection()]);
  const done = new URL(args.request.url).searchParams.get("done");
  return { ...sso, saml, done: done && Object.hasOwn(doneKeys, done) ? (done as keyof typeof doneKeys) : null };
}

/** The metadata file may be up to 512 KiB; the rest of the form is small. */
const MAX_METADATA_FILE = 512 * 1024;

function metadataTooLarge(): ApiError {
  return new ApiError({ code: "BAD_REQUEST", reason: "SAML_METADATA_INVALID", field: "metadataXml", message: "metadataXml: The metadata is too large." });
}

async function readForm(request: Request): Promise<FormData> {
  if (!(request.headers.get("content-type") ?? "").startsWith("multipart/form-data")) return readFormData(request);
  if (Number(request.headers.get("content-length") ?? "0") > MAX_METADATA_FILE + 16 * 1024) throw metadataTooLarge();
  try {
    return await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: MAX_METADATA_FILE }));
  } catch (error) {
    if (error instanceof MaxPartSizeExceededError) throw metadataTooLarge();
    throw error;
  }
}

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

/** saml: the SAML form's fields as the procedure takes them; a chosen preset replaces the typed attribute names. */
async function samlInput(form: FormData) {
  const file = form.get("metadataFile");
  const metadataXml = file && typeof file !== "string" && file.size > 0 ? await file.text() : "";
  const preset = text(form, "preset");
  const attributes = preset
    ? { preset: preset as "okta" }
    : { emailAttribute: text(form, "emailAttribute"), firstNameAttribute: text(form, "firstNameAttribute"), lastNameAttribute: text(form, "lastNameAttribute") };
  return {
    ...(metadataXml ? { metadataXml } : text(form, "metadataUrl").trim() ? { metadataUrl: text(form, "metadataUrl").trim() } : {}),
    ...attributes,
    allowIdpInitiated: form.get("allowIdpInitiated") === "on",
  };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { permission: "org:sys_domains:manage" });
  const multipart = (args.request.headers.get("content-type") ?? "").startsWith("multipart/form-data");
  let form: FormData;
  try {
    form = await readForm(args.request);
  } catch (error) {
    return formErrorResponse(args, error, { intent: "saml-save", values: { issuer: "", clientId: "", metadataUrl: "" } });
  }
  const intent = String(form.get("intent") ?? (multipart ? "saml-save" : "save"));
  const values = { issuer: text(form, "issuer"), clientId: text(form, "clientId"), metadataUrl: text(form, "metadataUrl") };
  const caller = await getCaller(args);
  let done: keyof typeof doneKeys;
  try {
    if (intent === "saml-save") {
      await caller.saml.save(await samlInput(form));
      done = "saml-saved";
    } else if (intent === "saml-remove") {
      await caller.saml.remove();
      done = "saml-removed";
    } else if (intent === "saml-enable" || intent === "saml-disable") {
      await caller.saml.setEnabled({ enabled: intent === "saml-enable" });
      done = intent === "saml-enable" ? "saml-enabled" : "saml-disabled";
    } else if (intent === "remove") {
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
  const { connection, redirectUri, verifiedDomains, done, saml } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const oidcResult = result && !result.intent.startsWith("saml-") ? result : undefined;
  const samlResult = result && result.intent.startsWith("saml-") ? result : undefined;
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
        <FormError>{message(oidcResult?.formError)}</FormError>
        <TextField
          label={t("sso.issuer")}
          name="issuer"
          type="url"
          required
          placeholder="https://idp.example.com"
          defaultValue={oidcResult?.values.issuer ?? connection?.issuer ?? ""}
          error={message(oidcResult?.fieldErrors.issuer)}
        />
        <TextField
          label={t("sso.clientId")}
          name="clientId"
          required
          defaultValue={oidcResult?.values.clientId ?? connection?.clientId ?? ""}
          error={message(oidcResult?.fieldErrors.clientId)}
        />
        <TextField
          label={t("sso.clientSecret")}
          name="clientSecret"
          type="password"
          autoComplete="off"
          required={!connection}
          description={t("sso.secretHint")}
          error={message(oidcResult?.fieldErrors.clientSecret)}
        />
        <Button name="intent" value="save" pending={pending("save")} className="self-start">
          {t("sso.save")}
        </Button>
      </Form>
      <SamlSection saml={saml} result={samlResult} pending={pending} />
    </section>
  );
}

type SamlData = ReturnType<typeof useLoaderData<typeof loader>>["saml"];
type ActionResult = NonNullable<ReturnType<typeof useActionData<typeof action>>>;

/** saml: our service provider's URLs, the connection's state and the form that saves it from the IdP's metadata. */
function SamlSection({ saml, result, pending }: { saml: SamlData; result: ActionResult | undefined; pending: (intent: string) => boolean }) {
  const t = useT();
  const message = useFormMessage();
  const titleId = useId();
  const presetId = useId();
  const idpInitiatedId = useId();
  const { connection, serviceProvider } = saml;
  return (
    <section aria-labelledby={titleId} className="flex flex-col gap-4 border-t border-border pt-6">
      <h3 id={titleId} className="text-lg font-semibold">
        {t("sso.saml.title")}
      </h3>
      <p className="text-muted">{t("sso.saml.lead")}</p>
      {connection && serviceProvider ? (
        <>
          <dl className="flex flex-col gap-2">
            <div className="flex flex-col gap-1">
              <dt className="text-sm text-muted">{t("sso.saml.spEntityId")}</dt>
              <dd>
                <code className="break-all rounded-lk border border-border p-2">{serviceProvider.entityId}</code>
              </dd>
            </div>
            <div className="flex flex-col gap-1">
              <dt className="text-sm text-muted">{t("sso.saml.acsUrl")}</dt>
              <dd>
                <code className="break-all rounded-lk border border-border p-2">{serviceProvider.acsUrl}</code>
              </dd>
            </div>
            <div className="flex flex-col gap-1">
              <dt className="text-sm text-muted">{t("sso.saml.spMetadata")}</dt>
              <dd className="flex flex-wrap gap-4">
                <a href={serviceProvider.metadataUrl} className="text-primary underline">
                  {t("sso.saml.spMetadataOpen")}
                </a>
                <a href={`${serviceProvider.metadataUrl}?download=1`} download className="text-primary underline">
                  {t("sso.saml.spMetadataDownload")}
                </a>
              </dd>
            </div>
            <div className="flex flex-col gap-1">
              <dt className="text-sm text-muted">{t("sso.saml.idpEntityId")}</dt>
              <dd className="break-all">{connection.idpEntityId}</dd>
            </div>
            <div className="flex flex-col gap-1">
              <dt className="text-sm text-muted">{t("sso.saml.idpSsoUrl")}</dt>
              <dd className="break-all">{connection.idpSsoUrl}</dd>
            </div>
            <div className="flex flex-col gap-1">
              <dt className="text-sm text-muted">{t("sso.saml.certificates")}</dt>
              <dd>{connection.idpCertificates.length}</dd>
            </div>
          </dl>
          <div className="flex flex-wrap items-center gap-4">
            <span>{t(connection.enabled ? "sso.saml.statusEnabled" : "sso.saml.statusDisabled")}</span>
            <Form method="post">
              <input type="hidden" name="intent" value={connection.enabled ? "saml-disable" : "saml-enable"} />
              <Button variant="secondary" pending={pending("saml-enable") || pending("saml-disable")}>
                {t(connection.enabled ? "sso.saml.disable" : "sso.saml.enable")}
              </Button>
            </Form>
            <Form method="post">
              <input type="hidden" name="intent" value="saml-remove" />
              <Button variant="danger" pending={pending("saml-remove")}>
                {t("sso.saml.remove")}
              </Button>
            </Form>
          </div>
        </>
      ) : (
        <p className="text-muted">{t("sso.saml.none")}</p>
      )}
      <Form method="post" encType="multipart/form-data" className="flex flex-col gap-4" noValidate>
        <input type="hidden" name="intent" value="saml-save" />
        <FormError>{message(result?.formError)}</FormError>
        <TextField
          label={t("sso.saml.metadataUrl")}
          name="metadataUrl"
          type="url"
          placeholder="https://idp.example.com/metadata"
          description={t(connection ? "sso.saml.metadataKeep" : "sso.saml.metadataHint")}
          defaultValue={result?.values.metadataUrl ?? connection?.metadataUrl ?? ""}
          error={message(result?.fieldErrors.metadataUrl)}
        />
        <TextField
          label={t("sso.saml.metadataFile")}
          name="metadataFile"
          type="file"
          accept=".xml,application/xml,text/xml,application/samlmetadata+xml"
          error={message(result?.fieldErrors.metadataXml)}
        />
        <div className="flex flex-col gap-1">
          <label htmlFor={presetId} className="text-sm font-medium">
            {t("sso.saml.preset")}
          </label>
          <select id={presetId} name="preset" defaultValue="" className="min-h-10 rounded-lk border border-border bg-bg px-3 py-2">
            <option value="">{t("sso.saml.presetCustom")}</option>
            <option value="okta">Okta</option>
            <option value="entra">Microsoft Entra ID</option>
            <option value="google">Google Workspace</option>
          </select>
        </div>
        <TextField
          label={t("sso.saml.emailAttribute")}
          name="emailAttribute"
          defaultValue={connection?.emailAttribute ?? saml.presets.okta.emailAttribute}
          error={message(result?.fieldErrors.emailAttribute)}
        />
        <TextField
          label={t("sso.saml.firstNameAttribute")}
          name="firstNameAttribute"
          defaultValue={connection?.firstNameAttribute ?? saml.presets.okta.firstNameAttribute}
          error={message(result?.fieldErrors.firstNameAttribute)}
        />
        <TextField
          label={t("sso.saml.lastNameAttribute")}
          name="lastNameAttribute"
          defaultValue={connection?.lastNameAttribute ?? saml.presets.okta.lastNameAttribute}
          error={message(result?.fieldErrors.lastNameAttribute)}
        />
        <div className="flex items-start gap-2">
          <input id={idpInitiatedId} type="checkbox" name="allowIdpInitiated" defaultChecked={connection?.allowIdpInitiated ?? false} aria-describedby={`${idpInitiatedId}-hint`} />
          <div className="flex flex-col">
            <label htmlFor={idpInitiatedId}>{t("sso.saml.allowIdpInitiated")}</label>
            <p id={`${idpInitiatedId}-hint`} className="text-sm text-muted">
              {t("sso.saml.allowIdpInitiatedHint")}
            </p>
          </div>
        </div>
        <Button pending={pending("saml-save")} className="self-start">
          {t("sso.saml.save")}
        </Button>
      </Form>
    </section>
  );
}
