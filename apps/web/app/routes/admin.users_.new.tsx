/**
 * `/admin/users/new`: an instance admin creates a user — a verified address (the admin vouches for it), an optional
 * password (the instance's password policy applies), names and a username. Then on to the user's page.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
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

export const handle = { i18n: ["adminUsers", "form"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("adminUsers.new.title") }];

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  return null;
}

const fields = ["email", "password", "firstName", "lastName", "username"] as const;

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const form = await readFormData(args.request);
  const values = Object.fromEntries(fields.map((field) => [field, String(form.get(field) ?? "")])) as Record<(typeof fields)[number], string>;
  const caller = await getCaller(args);
  try {
    const { id } = await caller.adminUser.create(values);
    throw redirect(`/admin/users/${id}?done=created`, { headers: await getAuthHeaders(args) });
  } catch (error) {
    if (error instanceof Response) throw error;
    const reason = (error as { reason?: string }).reason;
    const field = (error as { field?: string }).field;
    return formErrorResponse(
      args,
      error,
      { values: { ...values, password: "" } },
      {
        EMAIL_TAKEN: "adminUsers.errors.emailTaken",
        ...(reason === "ALREADY_EXISTS" && field === "username" ? { ALREADY_EXISTS: "adminUsers.errors.usernameTaken" as const } : {}),
      },
    );
  }
}

export default function NewUser() {
  const t = useT();
  const message = useFormMessage();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const errors = (result?.fieldErrors ?? {}) as Record<string, Parameters<typeof message>[0]>;
  const fieldError = (field: string) => {
    if (field === "username" && errors.username && "text" in errors.username) return t("adminUsers.errors.username");
    return message(errors[field]);
  };
  const other = result ? (result.formError ? message(result.formError) : message(Object.entries(errors).find(([field]) => !(fields as readonly string[]).includes(field))?.[1])) : null;
  const values = result?.values;

  return (
    <section aria-labelledby="new-user-title" className="flex max-w-xl flex-col gap-4">
      <p>
        <Link to="/admin/users" className="text-primary underline">
          {t("adminUsers.back")}
        </Link>
      </p>
      <h2 id="new-user-title" className="text-xl font-semibold">
        {t("adminUsers.new.title")}
      </h2>
      <p className="text-muted">{t("adminUsers.new.lead")}</p>
      <Form method="post" className="flex flex-col gap-4" noValidate>
        <FormError>{other}</FormError>
        <TextField label={t("form.emailAddress")} name="email" type="email" required autoComplete="off" maxLength={254} defaultValue={values?.email ?? ""} error={fieldError("email")} />
        <TextField label={t("adminUsers.new.password")} name="password" type="password" autoComplete="new-password" maxLength={1024} error={fieldError("password")} />
        <TextField label={t("form.firstName")} name="firstName" maxLength={64} defaultValue={values?.firstName ?? ""} error={fieldError("firstName")} />
        <TextField label={t("form.lastName")} name="lastName" maxLength={64} defaultValue={values?.lastName ?? ""} error={fieldError("lastName")} />
        <TextField label={t("adminUsers.new.username")} name="username" maxLength={32} defaultValue={values?.username ?? ""} error={fieldError("username")} />
        <Button pending={navigation.state === "submitting"} className="self-start">
          {t("adminUsers.new.submit")}
        </Button>
      </Form>
    </section>
  );
}
