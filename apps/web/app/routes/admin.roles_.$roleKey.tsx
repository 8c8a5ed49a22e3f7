/**
 * `/admin/roles/:roleKey`: one custom role — its name, description and permissions (checkboxes over the system, app
 * and custom permissions) and deletion, refused while members hold it. A system role shows the permissions code
 * declares for it read-only, and only its custom permissions can be changed (ADR 022). Members' rights follow a change
 * on their next request. Plain forms with an `intent` button; works without JavaScript.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { DoneNotice } from "~/components/done-notice";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { PermissionCheckboxes } from "~/components/permission-checkboxes";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { adminFormErrorResponse, roleFieldKeys, roleReasonKeys } from "~/lib/admin-forms.server";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { doneFlags } from "~/lib/done-flags.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["adminRoles"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("adminRoles.edit.title") }];

const done = { created: "adminRoles.done.roleCreated", saved: "adminRoles.done.roleSaved" } as const;
const pageOf = (key: string) => `/admin/roles/${encodeURIComponent(key)}`;

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  const key = args.params.roleKey ?? "";
  const [roles, permissions] = await Promise.all([caller.role.list(), caller.role.permissions()]);
  const role = roles.find((r) => r.key === key);
  if (!role) throw new Response("Not found", { status: 404 });
  return { role, permissions, done: doneFlags(pageOf(key), done).read(args.request) };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const key = args.params.roleKey ?? "";
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const values = { name: String(form.get("name") ?? ""), description: String(form.get("description") ?? ""), permissions: form.getAll("permissions").map(String) };
  const caller = await getCaller(args);
  try {
    switch (intent) {
      case "save":
        // A system role's name and description are fixed; its form sends only permissions.
        await caller.role.update(form.has("system") ? { key, permissions: values.permissions } : { key, name: values.name, description: values.description, permissions: values.permissions });
        return doneFlags(pageOf(key), done).back(args, "saved");
      case "delete":
        await caller.role.delete({ key });
        throw redirect("/admin/roles?done=roleDeleted", { headers: await getAuthHeaders(args) });
      default:
        throw new Response("Unknown intent", { status: 400 });
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    return adminFormErrorResponse(args, error, { intent, values }, roleFieldKeys, roleReasonKeys);
  }
}

export default function AdminRole() {
  const t = useT();
  const message = useFormMessage();
  const { role, permissions, done: doneMessage } = useLoaderData<typeof loader>();
  const declared = new Set<string>([...permissions.system, ...permissions.app]);
  const isDeclared = (permission: string) => declared.has(permission);
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = (intent: string) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  const saveFailed = result && result.intent === "save" ? result : null;
  const deleteFailed = result && result.intent === "delete" ? result : null;
  const saveOther = saveFailed
    ? saveFailed.formError
      ? message(saveFailed.formError)
      : message(Object.entries(saveFailed.fieldErrors).find(([field]) => !["name", "description"].includes(field) && !field.startsWith("permissions"))?.[1])
    : null;

  return (
    <div className="flex flex-col gap-10">
      <p>
        <Link to="/admin/roles" className="text-primary underline">
          {t("adminRoles.back")}
        </Link>
      </p>
      <section aria-labelledby="role-title" className="flex flex-col gap-3">
        <h2 id="role-title" className="text-xl font-semibold">
          {role.name} <code className="text-base font-normal">{role.key}</code>
        </h2>
        <DoneNotice message={doneMessage} />
        <p className="text-sm">{t("adminRoles.edit.holders", { count: role.holders })}</p>
        {role.isSystem ? (
          <>
            <p className="text-muted">{t("adminRoles.edit.systemReadOnly")}</p>
            <ul className="flex flex-wrap gap-1">
              {role.permissions.filter(isDeclared).map((permission) => (
                <li key={permission}>
                  <code className="rounded bg-subtle px-1 text-xs">{permission}</code>
                </li>
              ))}
            </ul>
            {permissions.custom.length > 0 ? (
              <Form method="post" className="flex max-w-xl flex-col gap-4" noValidate>
                <p className="text-sm text-muted">{t("adminRoles.edit.systemCustomLead")}</p>
                <FormError>{saveOther}</FormError>
                {role.permissions.filter(isDeclared).map((permission) => (
                  <input key={permission} type="hidden" name="permissions" value={permission} />
                ))}
                <input type="hidden" name="system" value="1" />
                <PermissionCheckboxes
                  catalogue={{ system: [], app: [], custom: permissions.custom }}
                  checked={saveFailed?.values.permissions ?? role.permissions}
                  error={saveFailed ? message(Object.entries(saveFailed.fieldErrors).find(([field]) => field.startsWith("permissions"))?.[1]) : null}
                />
                <Button name="intent" value="save" pending={submitting("save")} className="self-start">
                  {t("adminRoles.edit.save")}
                </Button>
              </Form>
            ) : null}
          </>
        ) : (
          <Form method="post" className="flex max-w-xl flex-col gap-4" noValidate>
            <p className="text-sm text-muted">{t("adminRoles.edit.lead")}</p>
            <FormError>{saveOther}</FormError>
            <TextField
              label={t("adminRoles.field.roleName")}
              name="name"
              maxLength={64}
              defaultValue={saveFailed?.values.name ?? role.name}
              error={saveFailed ? message(saveFailed.fieldErrors.name) : null}
            />
            <TextField
              label={t("adminRoles.field.roleDescription")}
              name="description"
              maxLength={500}
              defaultValue={saveFailed?.values.description ?? role.description ?? ""}
              error={saveFailed ? message(saveFailed.fieldErrors.description) : null}
            />
            <PermissionCheckboxes
              catalogue={permissions}
              checked={saveFailed?.values.permissions ?? role.permissions}
              error={saveFailed ? message(Object.entries(saveFailed.fieldErrors).find(([field]) => field.startsWith("permissions"))?.[1]) : null}
            />
            <Button name="intent" value="save" pending={submitting("save")} className="self-start">
              {t("adminRoles.edit.save")}
            </Button>
          </Form>
        )}
      </section>
      {role.isSystem ? null : (
        <section aria-labelledby="role-delete" className="flex flex-col gap-2 rounded-lk border border-danger p-4">
          <h3 id="role-delete" className="text-lg font-semibold">
            {t("adminRoles.delete.title")}
          </h3>
          <p className="text-sm">{t("adminRoles.delete.lead")}</p>
          <Form method="post" className="flex flex-col gap-3">
            <FormError>{deleteFailed ? (deleteFailed.formError ? message(deleteFailed.formError) : message(Object.values(deleteFailed.fieldErrors)[0])) : null}</FormError>
            <Button name="intent" value="delete" variant="danger" pending={submitting("delete")} className="self-start">
              {t("adminRoles.delete.submit")}
            </Button>
          </Form>
        </section>
      )}
    </div>
  );
}
