import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
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

export const handle = { i18n: ["orgs.new", "form.organizationName", "form.slug"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("orgs.new.title") }];

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args);
  return null;
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args);
  const form = await readFormData(args.request);
  const values = { name: String(form.get("name") ?? ""), slug: String(form.get("slug") ?? "") };
  let slug: string;
  try {
    slug = (await (await getCaller(args)).organization.create(values)).slug;
  } catch (error) {
    return formErrorResponse(args, error, { values });
  }
  throw redirect(`/org/${slug}`, { headers: await getAuthHeaders(args) });
}

export default function NewOrganization() {
  const t = useT();
  const message = useFormMessage();
  const result = useActionData<typeof action>();
  const pending = useNavigation().state === "submitting";
  return (
    <FormPage title={t("orgs.new.title")} wide>
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <FormError>{message(result?.formError)}</FormError>
        <TextField
          label={t("form.organizationName")}
          name="name"
          required
          maxLength={64}
          defaultValue={result?.values.name}
          error={message(result?.fieldErrors.name)}
        />
        <TextField
          label={t("form.slug")}
          name="slug"
          maxLength={48}
          description={t("orgs.new.slugHint")}
          defaultValue={result?.values.slug}
          error={message(result?.fieldErrors.slug)}
        />
        <Button pending={pending}>{t("orgs.new.submit")}</Button>
      </Form>
    </FormPage>
  );
}
