/**
 * `/admin/roles`: the instance's roles and permissions. System roles and permissions (and the app's, declared in code)
 * are shown read-only; custom roles are listed with their permissions and link to their edit page
 * (`/admin/roles/:roleKey`); forms create a custom role and create or delete a custom permission
 * (`org:<feature>:<action>`). Changes reach members on their next request. Works without JavaScript.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button } from "~/components/button";
import { PermissionCheckboxes } from "~/components/permission-checkboxes";
import { DoneNotice } from "~/components/done-notice";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
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

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("adminRoles.title") }];

const flags = doneFlags("/admin/roles", {
  roleCreated: "adminRoles.done.roleCreated",
  roleDeleted: "adminRoles.done.roleDeleted",
  permissionCreated: "adminRoles.done.permissionCreated",
  permissionDeleted: "adminRoles.done.permissionDeleted",
});

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  const [roles, permissions] = await Promise.all([caller.role.list(), caller.role.permissions()]);
  return { roles, permissions, done: flags.read(args.request) };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const values = {
    key: String(form.get("key") ?? "").trim(),
    name: String(form.get("name") ?? ""),
    description: String(form.get("description") ?? ""),
    permissions: form.getAll("permissions").map(String),
  };
  const caller = await getCaller(args);
  try {
    switch (intent) {
      case "createRole": {
        const role = await caller.role.create({ key: values.key, name: values.name, description: values.description, permissions: values.permissions });
        throw redirect(`/admin/roles/${encodeURIComponent(role.key)}?done=created`, { headers: await getAuthHeaders(args) });
      }
      case "createPermission":
        await caller.role.createPermission({ key: values.key, name: values.name, description: values.description });
        return flags.back(args, "permissionCreated");
      case "deletePermission":
        await caller.role.deletePermission({ key: values.key });
        return flags.back(args, "permissionDeleted");
      default:
        throw new Response("Unknown intent", { status: 400 });
    }
  } catch (error) {
    if (error instanceof Response) throw error;
    return adminFormErrorResponse(args, error, { intent, values }, roleFieldKeys, roleReasonKeys);
  }
}

function PermissionList({ permissions }: { permissions: readonly string[] }) {
  const t = useT();
  if (permissions.length === 0) return <span className="text-muted">{t("adminRoles.noPermissions")}</span>;
  return (
    <ul className="flex flex-wrap gap-1">
      {permissions.map((permission) => (
        <li key={permission}>
          <code className="rounded bg-subtle px-1 text-xs">{permission}</code>
        </li>
      ))}
    </ul>
  );
}

export default function AdminRoles() {
  const t = useT();
  const message = useFormMessage();
  const { roles, permissions, done } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = (intent: string) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  const failed = (intent: string) => (result && result.intent === intent ? result : null);
  const roleFailed = failed("createRole");
  const permissionFailed = failed("createPermission");
  const deleteFailed = failed("deletePermission");
  const system = roles.filter((role) => role.isSystem);
  const custom = roles.filter((role) => !role.isSystem);
  const otherError = (failure: typeof result | null, fields: string[]) => {
    if (!failure) return null;
    if (failure.formError) return message(failure.formError);
    const other = Object.entries(failure.fieldErrors).find(([field]) => !fields.includes(field.split(".")[0]!));
    return other ? message(other[1]) : null;
  };

  return (
    <div className="flex flex-col gap-10">
      <section aria-labelledby="roles-title" className="flex flex-col gap-3">
        <h2 id="roles-title" className="text-xl font-semibold">
          {t("adminRoles.title")}
        </h2>
        <p className="text-muted">{t("adminRoles.lead")}</p>
        <DoneNotice message={done} />
        {deleteFailed ? <FormError>{otherError(deleteFailed, [])}</FormError> : null}
      </section>

      <section aria-labelledby="roles-system" className="flex flex-col gap-3">
        <h3 id="roles-system" className="text-lg font-semibold">
          {t("adminRoles.system.title")}
        </h3>
        <p className="text-sm text-muted">{t("adminRoles.system.lead")}</p>
        <table className="w-full text-left text-sm">
          <caption className="sr-only">{t("adminRoles.system.title")}</caption>
          <thead>
            <tr className="border-b border-border">
              <th scope="col" className="py-2 pr-4">{t("adminRoles.col.role")}</th>
              <th scope="col" className="py-2 pr-4">{t("adminRoles.col.permissions")}</th>
              <th scope="col" className="py-2 pr-4">{t("adminRoles.col.holders")}</th>
            </tr>
          </thead>
          <tbody>
            {system.map((role) => (
              <tr key={role.key} className="border-b border-border align-top">
                <td className="py-2 pr-4">
                  {role.name} <code className="text-xs">{role.key}</code>
                </td>
                <td className="py-2 pr-4">
                  <PermissionList permissions={role.permissions} />
                </td>
                <td className="py-2 pr-4">{role.holders}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h4 className="font-semibold">{t("adminRoles.system.permissions")}</h4>
        <PermissionList permissions={permissions.system} />
        {permissions.app.length > 0 ? (
          <>
            <h4 className="font-semibold">{t("adminRoles.app.permissions")}</h4>
            <p className="text-sm text-muted">{t("adminRoles.app.lead")}</p>
            <PermissionList permissions={permissions.app} />
          </>
        ) : null}
      </section>

      <section aria-labelledby="roles-custom" className="flex flex-col gap-3">
        <h3 id="roles-custom" className="text-lg font-semibold">
          {t("adminRoles.custom.title")}
        </h3>
        {custom.length === 0 ? (
          <p className="text-muted">{t("adminRoles.custom.empty")}</p>
        ) : (
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{t("adminRoles.custom.title")}</caption>
            <thead>
              <tr className="border-b border-border">
                <th scope="col" className="py-2 pr-4">{t("adminRoles.col.role")}</th>
                <th scope="col" className="py-2 pr-4">{t("adminRoles.col.permissions")}</th>
                <th scope="col" className="py-2 pr-4">{t("adminRoles.col.holders")}</th>
              </tr>
            </thead>
            <tbody>
              {custom.map((role) => (
                <tr key={role.key} className="border-b border-border align-top">
                  <td className="py-2 pr-4">
                    <Link to={`/admin/roles/${encodeURIComponent(role.key)}`} className="text-primary underline">
                      {role.name}
                    </Link>{" "}
                    <code className="text-xs">{role.key}</code>
                    {role.description ? <div className="text-muted">{role.description}</div> : null}
                  </td>
                  <td className="py-2 pr-4">
                    <PermissionList permissions={role.permissions} />
                  </td>
                  <td className="py-2 pr-4">{role.holders}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="roles-create" className="flex flex-col gap-3">
        <h3 id="roles-create" className="text-lg font-semibold">
          {t("adminRoles.create.title")}
        </h3>
        <Form method="post" className="flex max-w-xl flex-col gap-4" noValidate>
          <FormError>{otherError(roleFailed, ["key", "name", "description", "permissions"])}</FormError>
          <TextField
            label={t("adminRoles.field.key")}
            description={t("adminRoles.field.keyHint")}
            name="key"
            maxLength={64}
            autoComplete="off"
            defaultValue={roleFailed?.values.key ?? ""}
            error={roleFailed ? message(roleFailed.fieldErrors.key) : null}
          />
          <TextField
            label={t("adminRoles.field.roleName")}
            name="name"
            maxLength={64}
            defaultValue={roleFailed?.values.name ?? ""}
            error={roleFailed ? message(roleFailed.fieldErrors.name) : null}
          />
          <TextField
            label={t("adminRoles.field.roleDescription")}
            name="description"
            maxLength={500}
            defaultValue={roleFailed?.values.description ?? ""}
            error={roleFailed ? message(roleFailed.fieldErrors.description) : null}
          />
          <PermissionCheckboxes
            catalogue={permissions}
            checked={roleFailed?.values.permissions ?? []}
            error={roleFailed ? message(Object.entries(roleFailed.fieldErrors).find(([field]) => field.startsWith("permissions"))?.[1]) : null}
          />
          <Button name="intent" value="createRole" pending={submitting("createRole")} className="self-start">
            {t("adminRoles.create.submit")}
          </Button>
        </Form>
      </section>

      <section aria-labelledby="permissions-custom" className="flex flex-col gap-3">
        <h3 id="permissions-custom" className="text-lg font-semibold">
          {t("adminRoles.permissions.title")}
        </h3>
        {permissions.custom.length === 0 ? (
          <p className="text-muted">{t("adminRoles.permissions.empty")}</p>
        ) : (
          <ul className="flex flex-col gap-2">
            {permissions.custom.map((permission) => (
              <li key={permission.key} className="flex flex-wrap items-center gap-3">
                <code>{permission.key}</code>
                <span>{permission.name}</span>
                {permission.description ? <span className="text-muted">{permission.description}</span> : null}
                <Form method="post">
                  <input type="hidden" name="key" value={permission.key} />
                  <Button
                    name="intent"
                    value="deletePermission"
                    variant="secondary"
                    aria-label={t("adminRoles.permissions.deleteNamed", { key: permission.key })}
                    pending={submitting("deletePermission") && navigation.formData?.get("key") === permission.key}
                  >
                    {t("adminRoles.permissions.delete")}
                  </Button>
                </Form>
              </li>
            ))}
          </ul>
        )}
        <h4 className="font-semibold">{t("adminRoles.permissions.create")}</h4>
        <Form method="post" className="flex max-w-xl flex-col gap-4" noValidate>
          <FormError>{otherError(permissionFailed, ["key", "name", "description"])}</FormError>
          <TextField
            label={t("adminRoles.field.permissionKey")}
            description={t("adminRoles.field.permissionKeyHint")}
            name="key"
            maxLength={130}
            autoComplete="off"
            placeholder="org:reports:read"
            defaultValue={permissionFailed?.values.key ?? ""}
            error={permissionFailed ? message(permissionFailed.fieldErrors.key) : null}
          />
          <TextField
            label={t("adminRoles.field.permissionName")}
            name="name"
            maxLength={64}
            defaultValue={permissionFailed?.values.name ?? ""}
            error={permissionFailed ? message(permissionFailed.fieldErrors.name) : null}
          />
          <TextField
            label={t("adminRoles.field.permissionDescription")}
            name="description"
            maxLength={500}
            defaultValue={permissionFailed?.values.description ?? ""}
            error={permissionFailed ? message(permissionFailed.fieldErrors.description) : null}
          />
          <Button name="intent" value="createPermission" pending={submitting("createPermission")} className="self-start">
            {t("adminRoles.permissions.submit")}
          </Button>
        </Form>
      </section>
    </div>
  );
}
