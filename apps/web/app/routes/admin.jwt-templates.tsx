/**
 * /admin/jwt-templates — instance admins: the signing keys (list, rotate) and the JWT templates (list, create, edit
 * with a JSON textarea, delete, preview the claims of the admin's own token). Plain forms with a hidden `intent`, so
 * the page works without JavaScript; `?edit=<name>` and `?preview=<name>` choose what the page shows.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useId } from "react";
import { ApiError } from "@latchkey/api";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import type { MessageKey } from "~/i18n/dictionary";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse, type FormMessage } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["jwtTemplates"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("jwtTemplates.title") }];

const EXAMPLE_CLAIMS = '{\n  "aud": "authenticated",\n  "role": "authenticated",\n  "email": "{{user.primary_email_address}}"\n}';

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  const url = new URL(args.request.url);
  const editName = url.searchParams.get("edit");
  const previewName = url.searchParams.get("preview");
  const [keys, templates] = await Promise.all([caller.signingKey.list(), caller.jwtTemplate.list()]);
  const editing = editName ? (templates.find((t) => t.name === editName) ?? null) : null;
  let preview: { name: string; claims: string } | null = null;
  if (previewName && templates.some((t) => t.name === previewName)) {
    const result = await caller.jwtTemplate.preview({ name: previewName });
    preview = { name: previewName, claims: JSON.stringify(result.claims, null, 2) };
  }
  return {
    keys: keys.map((k) => ({ ...k, createdAt: k.createdAt.toISOString(), retiredAt: k.retiredAt?.toISOString() ?? null, publishedUntil: k.publishedUntil?.toISOString() ?? null })),
    templates: templates.map((t) => ({ name: t.name, lifetimeSeconds: t.lifetimeSeconds, claims: JSON.stringify(t.claims, null, 2) })),
    editing: editing ? { name: editing.name, lifetimeSeconds: editing.lifetimeSeconds, claims: JSON.stringify(editing.claims, null, 2) } : null,
    preview,
    rotated: url.searchParams.get("rotated"),
  };
}

/** The claim a template error names, from the API's sentence (`… the claim "team.lead".`). */
function claimNamed(message: string): string {
  return /claim "([^"]{1,200})"/.exec(message)?.[1] ?? "";
}

/** Template errors in the reader's language; the rest through the shared map. */
function claimsMessage(error: unknown): FormMessage | null {
  if (!(error instanceof ApiError)) return null;
  switch (error.reason) {
    case "JWT_CLAIM_RESERVED":
      return { key: "jwtTemplates.errors.reserved", vars: { claim: claimNamed(error.message) } };
    case "JWT_PLACEHOLDER_UNKNOWN":
      return { key: "jwtTemplates.errors.placeholder", vars: { claim: claimNamed(error.message), placeholder: /\{\{[^}]{0,80}\}\}/.exec(error.message)?.[0] ?? "" } };
    case "JWT_CLAIMS_INVALID":
      return { key: "jwtTemplates.errors.claims" };
    default:
      return null;
  }
}

const fieldMessages: Record<string, MessageKey> = {
  name: "jwtTemplates.errors.name",
  newName: "jwtTemplates.errors.name",
  lifetimeSeconds: "jwtTemplates.errors.lifetime",
};

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const values = {
    name: String(form.get("name") ?? "").slice(0, 200),
    originalName: String(form.get("originalName") ?? "").slice(0, 200),
    lifetimeSeconds: String(form.get("lifetimeSeconds") ?? "").slice(0, 20),
    claims: String(form.get("claims") ?? "").slice(0, 20_000),
  };
  const back = "/admin/jwt-templates";
  try {
    const caller = await getCaller(args);
    const lifetimeSeconds = values.lifetimeSeconds.trim() === "" ? Number.NaN : Number(values.lifetimeSeconds);
    switch (intent) {
      case "rotate": {
        const alg = String(form.get("alg") ?? "EdDSA");
        const result = await caller.signingKey.rotate({ alg: alg as "EdDSA" });
        throw redirect(`${back}?rotated=${encodeURIComponent(result.kid)}`, { headers: await getAuthHeaders(args) });
      }
      case "create":
        await caller.jwtTemplate.create({ name: values.name, claims: values.claims, lifetimeSeconds });
        throw redirect(`${back}?preview=${encodeURIComponent(values.name)}`, { headers: await getAuthHeaders(args) });
      case "update":
        await caller.jwtTemplate.update({
          name: values.originalName,
          ...(values.name !== values.originalName ? { newName: values.name } : {}),
          claims: values.claims,
          lifetimeSeconds,
        });
        throw redirect(`${back}?preview=${encodeURIComponent(values.name)}`, { headers: await getAuthHeaders(args) });
      case "delete":
        await caller.jwtTemplate.delete({ name: String(form.get("name") ?? "") });
        break;
      default:
        break;
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    const response = await formErrorResponse(args, error, { intent, values });
    const claims = claimsMessage(error);
    if (claims) response.data.fieldErrors = { claims };
    for (const [field, key] of Object.entries(fieldMessages)) {
      if (response.data.fieldErrors[field]) response.data.fieldErrors[field === "newName" ? "name" : field] = { key };
    }
    return response;
  }
  throw redirect(back, { headers: await getAuthHeaders(args) });
}

function when(iso: string | null): string {
  return iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—";
}

export default function JwtTemplatesPage() {
  const t = useT();
  const message = useFormMessage();
  const { keys, templates, editing, preview, rotated } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const claimsId = useId();
  const algId = useId();
  const submitting = (intent: string) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  const formIntent = editing ? "update" : "create";
  const errors = result?.intent === formIntent ? result : null;
  const claimsError = message(errors?.fieldErrors.claims);
  const values = errors?.values;

  return (
    <div className="flex flex-col gap-10">
      <section aria-labelledby="keys-title" className="flex flex-col gap-4">
        <h2 id="keys-title" className="text-xl font-semibold">
          {t("jwtTemplates.keysTitle")}
        </h2>
        <p className="text-sm text-muted">{t("jwtTemplates.keysLead")}</p>
        {rotated ? (
          <p role="status" className="text-sm">
            {t("jwtTemplates.rotated", { kid: rotated })}
          </p>
        ) : null}
        {keys.length === 0 ? (
          <p className="text-sm text-muted">{t("jwtTemplates.noKeys")}</p>
        ) : (
          <table className="w-full text-left text-sm">
            <thead>
              <tr>
                <th scope="col">{t("jwtTemplates.kid")}</th>
                <th scope="col">{t("jwtTemplates.alg")}</th>
                <th scope="col">{t("jwtTemplates.created")}</th>
                <th scope="col">{t("jwtTemplates.retired")}</th>
                <th scope="col">{t("jwtTemplates.publishedUntil")}</th>
                <th scope="col">{t("jwtTemplates.status")}</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.kid}>
                  <td className="font-mono">{key.kid}</td>
                  <td>{key.alg}</td>
                  <td>{when(key.createdAt)}</td>
                  <td>{when(key.retiredAt)}</td>
                  <td>{key.active ? "—" : when(key.publishedUntil)}</td>
                  <td>{t(key.active ? "jwtTemplates.statusActive" : key.published ? "jwtTemplates.statusPublished" : "jwtTemplates.statusExpired")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Form method="post" className="flex flex-wrap items-end gap-4">
          <input type="hidden" name="intent" value="rotate" />
          <FormError>{result?.intent === "rotate" ? message(result.formError) : null}</FormError>
          <div className="flex flex-col gap-1">
            <label htmlFor={algId} className="text-sm font-medium">
              {t("jwtTemplates.newKeyAlg")}
            </label>
            <select id={algId} name="alg" defaultValue="EdDSA" className="min-h-10 rounded-lk border border-border bg-bg px-3 py-2">
              <option value="EdDSA">EdDSA (Ed25519)</option>
              <option value="RS256">RS256</option>
            </select>
          </div>
          <Button variant="secondary" pending={submitting("rotate")}>
            {t("jwtTemplates.rotate")}
          </Button>
        </Form>
      </section>

      <section aria-labelledby="templates-title" className="flex flex-col gap-4">
        <h2 id="templates-title" className="text-xl font-semibold">
          {t("jwtTemplates.title")}
        </h2>
        <p className="text-sm text-muted">{t("jwtTemplates.lead")}</p>
        {templates.length === 0 ? (
          <p className="text-sm text-muted">{t("jwtTemplates.empty")}</p>
        ) : (
          <ul className="flex flex-col gap-2">
            {templates.map((template) => (
              <li key={template.name} className="flex flex-wrap items-center gap-4 rounded-lk border border-border p-3">
                <span className="font-mono font-semibold">{template.name}</span>
                <span className="text-sm text-muted">{t("jwtTemplates.lifetimeValue", { seconds: template.lifetimeSeconds })}</span>
                <Link className="text-primary underline" to={`?edit=${encodeURIComponent(template.name)}`} aria-label={t("jwtTemplates.editNamed", { name: template.name })}>
                  {t("jwtTemplates.edit")}
                </Link>
                <Link className="text-primary underline" to={`?preview=${encodeURIComponent(template.name)}`} aria-label={t("jwtTemplates.previewNamed", { name: template.name })}>
                  {t("jwtTemplates.preview")}
                </Link>
                <Form method="post">
                  <input type="hidden" name="intent" value="delete" />
                  <input type="hidden" name="name" value={template.name} />
                  <Button variant="danger" pending={submitting("delete") && navigation.formData?.get("name") === template.name} aria-label={t("jwtTemplates.deleteNamed", { name: template.name })}>
                    {t("jwtTemplates.delete")}
                  </Button>
                </Form>
              </li>
            ))}
          </ul>
        )}
        {result?.intent === "delete" ? <FormError>{message(result.formError)}</FormError> : null}
      </section>

      {preview ? (
        <section aria-labelledby="preview-title" className="flex flex-col gap-2">
          <h2 id="preview-title" className="text-lg font-semibold">
            {t("jwtTemplates.previewTitle", { name: preview.name })}
          </h2>
          <p className="text-sm text-muted">{t("jwtTemplates.previewLead")}</p>
          <pre aria-label={t("jwtTemplates.previewClaims")} className="overflow-x-auto rounded-lk border border-border bg-subtle p-3 text-sm">
            {preview.claims}
          </pre>
        </section>
      ) : null}

      <section aria-labelledby="form-title" className="flex flex-col gap-4">
        <h2 id="form-title" className="text-lg font-semibold">
          {editing ? t("jwtTemplates.editTitle", { name: editing.name }) : t("jwtTemplates.createTitle")}
        </h2>
        <Form method="post" className="flex max-w-2xl flex-col gap-4" key={editing?.name ?? "new"}>
          <input type="hidden" name="intent" value={formIntent} />
          {editing ? <input type="hidden" name="originalName" value={editing.name} /> : null}
          <FormError>{message(errors?.formError)}</FormError>
          <TextField
            label={t("jwtTemplates.name")}
            name="name"
            description={t("jwtTemplates.nameHint")}
            defaultValue={values?.name ?? editing?.name ?? ""}
            maxLength={64}
            required
            error={message(errors?.fieldErrors.name)}
          />
          <TextField
            label={t("jwtTemplates.lifetime")}
            name="lifetimeSeconds"
            type="number"
            min={30}
            max={86400}
            description={t("jwtTemplates.lifetimeHint")}
            defaultValue={values?.lifetimeSeconds ?? String(editing?.lifetimeSeconds ?? 60)}
            required
            error={message(errors?.fieldErrors.lifetimeSeconds)}
          />
          <div className="flex flex-col gap-1">
            <label htmlFor={claimsId} className="text-sm font-medium">
              {t("jwtTemplates.claims")}
            </label>
            <p id={`${claimsId}-hint`} className="text-sm text-muted">
              {t("jwtTemplates.claimsHint")}
            </p>
            <textarea
              id={claimsId}
              name="claims"
              rows={10}
              required
              spellCheck={false}
              aria-invalid={claimsError ? true : undefined}
              aria-describedby={`${claimsId}-hint${claimsError ? ` ${claimsId}-error` : ""}`}
              defaultValue={values?.claims ?? editing?.claims ?? EXAMPLE_CLAIMS}
              className="rounded-lk border border-border bg-bg px-3 py-2 font-mono text-sm aria-[invalid=true]:border-danger"
            />
            {claimsError ? (
              <p id={`${claimsId}-error`} role="alert" className="text-sm text-danger">
                {claimsError}
              </p>
            ) : null}
          </div>
          <div className="flex gap-4">
            <Button pending={submitting(formIntent)}>{editing ? t("jwtTemplates.save") : t("jwtTemplates.create")}</Button>
            {editing ? (
              <Link to="/admin/jwt-templates" className="self-center text-primary underline">
                {t("jwtTemplates.cancel")}
              </Link>
            ) : null}
          </div>
        </Form>
      </section>
    </div>
  );
}
