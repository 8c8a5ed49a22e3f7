/**
 * The organization's settings: General (name, slug) and Logo for `org:sys_profile:manage`, Danger zone (delete, by
 * typing the name) for `org:sys_profile:delete`. Sections show by permission; the procedures enforce it regardless.
 * Every action is a plain form with a hidden `intent`, so the page works without JavaScript; the logo form is
 * multipart, read here with a size-limited handler so a too-big upload is refused before it is read whole.
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
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ApiError, MAX_IMAGE_BYTES } from "@latchkey/api";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth, type AuthArgs } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["orgSettings"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("orgSettings.title") }];

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args, { organization: true });
  const org = await (await getCaller(args)).organization.getBySlug({ slug: auth.orgSlug! });
  return {
    saved: new URL(args.request.url).searchParams.has("saved"),
    organization: { name: org.name, slug: org.slug, imageUrl: org.imageUrl },
    canManage: auth.has({ permission: "org:sys_profile:manage" }),
    // mfa: "members must use two-step verification"
    requireMfa: auth.mfa.organizationRequired,
    mfaSaved: new URL(args.request.url).searchParams.has("mfa-saved"),
    canDelete: auth.has({ permission: "org:sys_profile:delete" }),
  };
}

/** Room for the form's other parts and multipart boundaries on top of the image itself. */
const MULTIPART_OVERHEAD = 16 * 1024;

function imageTooLarge(): ApiError {
  return new ApiError({ code: "BAD_REQUEST", reason: "IMAGE_TOO_LARGE", field: "image", message: "image: The image must be 1 MB or smaller." });
}

/**
 * The posted form. A multipart body (the logo form) is refused unread when its declared length is already too big,
 * and is otherwise read part by part, stopping as soon as one part passes the limit.
 */
async function readForm(args: AuthArgs & { request: Request }): Promise<FormData> {
  const { request } = args;
  if (!(request.headers.get("content-type") ?? "").startsWith("multipart/form-data")) return readFormData(request);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_IMAGE_BYTES + MULTIPART_OVERHEAD) throw imageTooLarge();
  try {
    return await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: MAX_IMAGE_BYTES }));
  } catch (error) {
    if (error instanceof MaxPartSizeExceededError) throw imageTooLarge();
    throw error;
  }
}

async function fileBytes(value: FormDataEntryValue | null): Promise<Uint8Array<ArrayBuffer>> {
  if (value === null || typeof value === "string") return new Uint8Array(new ArrayBuffer(0));
  return new Uint8Array(await value.arrayBuffer());
}

export async function action(args: ActionFunctionArgs) {
  const auth = await requireAuth(args, { organization: true });
  const back = `/org/${auth.orgSlug}/settings`;
  // A multipart post is the logo form, even when it is refused before its fields are read.
  let intent = (args.request.headers.get("content-type") ?? "").startsWith("multipart/form-data") ? "upload-logo" : "";
  let values = { name: "", slug: "" };
  try {
    const form = await readForm(args);
    intent = String(form.get("intent") ?? "");
    const caller = await getCaller(args);
    switch (intent) {
      case "update": {
        values = { name: String(form.get("name") ?? ""), slug: String(form.get("slug") ?? "") };
        const updated = await caller.organization.update(values);
        // The slug may have changed: the page lives at the new address now.
        throw redirect(`/org/${updated.slug}/settings?saved=1`, { headers: await getAuthHeaders(args) });
      }
      case "upload-logo":
        await caller.organization.setImage({ image: await fileBytes(form.get("logo")) });
        break;
      case "remove-logo":
        await caller.organization.removeImage();
        break;
      // mfa
      case "mfa-policy":
        await caller.mfa.organizationPolicy.set({ requireMfa: form.get("requireMfa") === "on" });
        throw redirect(`${back}?mfa-saved=1`, { headers: await getAuthHeaders(args) });
      case "delete":
        await caller.organization.delete({ confirmation: String(form.get("confirmation") ?? "") });
        throw redirect("/", { headers: await getAuthHeaders(args) });
      default:
        break;
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    // Deleting needs a recent password check: ask for it, then come back here to confirm again.
    if (error instanceof ApiError && error.reason === "REVERIFICATION_REQUIRED") {
      const page = new URL(args.request.url).pathname;
      throw redirect(`/reverify?redirect_url=${encodeURIComponent(page)}&level=strict`, { headers: await getAuthHeaders(args) });
    }
    return formErrorResponse(args, error, { intent, values });
  }
  // Post/redirect/get, so a reload does not submit twice.
  throw redirect(back, { headers: await getAuthHeaders(args) });
}

export default function OrganizationSettings() {
  const t = useT();
  const message = useFormMessage();
  const { organization, canManage, canDelete, saved, requireMfa, mfaSaved } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = (intent: string) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  const errors = (intent: string) => (result?.intent === intent ? result : null);
  const fieldError = (intent: string, field: string) => message(errors(intent)?.fieldErrors[field]);
  const formError = (intent: string) => message(errors(intent)?.formError);
  const updateValues = errors("update")?.values;

  return (
    <div className="flex flex-col gap-10">
      <h2 className="text-xl font-semibold">{t("orgSettings.title")}</h2>
      {!canManage && !canDelete ? <p className="text-muted">{t("orgSettings.nothingToChange")}</p> : null}

      {canManage ? (
        <section aria-labelledby="general-title" className="flex flex-col gap-4">
          <h3 id="general-title" className="text-lg font-semibold">
            {t("orgSettings.general")}
          </h3>
          <Form method="post" className="flex max-w-md flex-col gap-4">
            <input type="hidden" name="intent" value="update" />
            <FormError>{formError("update")}</FormError>
            <TextField label={t("orgSettings.name")} name="name" defaultValue={updateValues?.name ?? organization.name} maxLength={64} required error={fieldError("update", "name")} />
            <TextField
              label={t("orgSettings.slug")}
              name="slug"
              description={t("orgSettings.slugHint")}
              defaultValue={updateValues?.slug ?? organization.slug}
              maxLength={48}
              required
              error={fieldError("update", "slug")}
            />
            {saved && !result ? (
              <p role="status" className="text-sm text-muted">
                {t("orgSettings.saved")}
              </p>
            ) : null}
            <Button pending={submitting("update")} className="self-start">
              {t("orgSettings.save")}
            </Button>
          </Form>
        </section>
      ) : null}

      {canManage ? (
        <section aria-labelledby="logo-title" className="flex flex-col gap-4">
          <h3 id="logo-title" className="text-lg font-semibold">
            {t("orgSettings.logo")}
          </h3>
          {organization.imageUrl ? (
            <img src={organization.imageUrl} alt={organization.name} className="h-16 w-16 rounded-lk border border-border object-cover" />
          ) : (
            <p className="text-sm text-muted">{t("orgSettings.noLogo")}</p>
          )}
          <Form method="post" encType="multipart/form-data" className="flex max-w-md flex-col gap-4">
            <input type="hidden" name="intent" value="upload-logo" />
            <FormError>{formError("upload-logo")}</FormError>
            <TextField
              label={t("orgSettings.logo")}
              name="logo"
              type="file"
              accept="image/png,image/jpeg,image/webp,image/gif"
              description={t("orgSettings.logoHint")}
              required
              error={fieldError("upload-logo", "image")}
            />
            <Button pending={submitting("upload-logo")} className="self-start">
              {t("orgSettings.upload")}
            </Button>
          </Form>
          {organization.imageUrl ? (
            <Form method="post">
              <input type="hidden" name="intent" value="remove-logo" />
              <FormError>{formError("remove-logo")}</FormError>
              <Button variant="secondary" pending={submitting("remove-logo")}>
                {t("orgSettings.remove")}
              </Button>
            </Form>
          ) : null}
        </section>
      ) : null}

      {canManage ? (
        <section aria-labelledby="mfa-policy-title" className="flex flex-col gap-4">
          <h3 id="mfa-policy-title" className="text-lg font-semibold">
            {t("orgSettings.mfa.title")}
          </h3>
          <Form method="post" className="flex max-w-md flex-col gap-4">
            <input type="hidden" name="intent" value="mfa-policy" />
            <FormError>{formError("mfa-policy") ?? fieldError("mfa-policy", "requireMfa")}</FormError>
            <div className="flex items-start gap-2">
              <input id="require-mfa" type="checkbox" name="requireMfa" defaultChecked={requireMfa} className="mt-1 h-4 w-4" aria-describedby="require-mfa-hint" />
              <div className="flex flex-col gap-1">
                <label htmlFor="require-mfa" className="text-sm font-medium">
                  {t("orgSettings.mfa.label")}
                </label>
                <p id="require-mfa-hint" className="text-sm text-muted">
                  {t("orgSettings.mfa.hint")}
                </p>
              </div>
            </div>
            {mfaSaved && !result ? (
              <p role="status" className="text-sm text-muted">
                {t("orgSettings.mfa.saved")}
              </p>
            ) : null}
            <Button pending={submitting("mfa-policy")} className="self-start">
              {t("orgSettings.mfa.save")}
            </Button>
          </Form>
        </section>
      ) : null}

      {canDelete ? (
        <section aria-labelledby="danger-title" className="flex flex-col gap-4 rounded-lk border border-danger p-4">
          <h3 id="danger-title" className="text-lg font-semibold text-danger">
            {t("orgSettings.dangerZone")}
          </h3>
          <p className="text-sm">{t("orgSettings.deleteLead")}</p>
          <Form method="post" className="flex max-w-md flex-col gap-4">
            <input type="hidden" name="intent" value="delete" />
            <FormError>{formError("delete")}</FormError>
            <TextField
              label={t("orgSettings.confirmLabel", { name: organization.name })}
              name="confirmation"
              autoComplete="off"
              required
              error={fieldError("delete", "confirmation")}
            />
            <Button variant="danger" pending={submitting("delete")} className="self-start">
              {t("orgSettings.delete")}
            </Button>
          </Form>
        </section>
      ) : null}
    </div>
  );
}
