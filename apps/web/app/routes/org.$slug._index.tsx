/** The organization's projects: everyone with `org:projects:read` sees them; `org:projects:manage` may create and delete. */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useMemo } from "react";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { trpc } from "~/lib/trpc";
import { Protect, useAuth } from "~/lib/auth-client";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["org.projects", "form.projectName"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("org.projects.title") }];

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { permission: "org:projects:read" });
  return { projects: await (await getCaller(args)).project.list() };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { organization: true });
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const caller = await getCaller(args);
  try {
    if (intent === "delete") {
      await caller.project.delete({ projectId: String(form.get("projectId") ?? "") });
    } else {
      await caller.project.create({ name: String(form.get("name") ?? "") });
    }
  } catch (error) {
    return formErrorResponse(args, error, { intent });
  }
  // Post/redirect/get, so a reload does not submit twice.
  throw redirect(new URL(args.request.url).pathname, { headers: await getAuthHeaders(args) });
}

export default function Projects() {
  const t = useT();
  const locale = useLocale();
  const message = useFormMessage();
  const loaded = useLoaderData<typeof loader>();
  const canManage = useAuth().has({ permission: "org:projects:manage" });
  // The server rendered the list; with JavaScript, React Query keeps it fresh when the tab regains focus
  // (say, after a project was added in another tab). A form submission revalidates the loader as usual.
  // When this loader data arrived, on this browser's clock (each revalidation brings a new object).
  const loadedAt = useMemo(() => (loaded ? Date.now() : 0), [loaded]);
  const query = trpc.project.list.useQuery(undefined, {
    initialData: loaded.projects,
    initialDataUpdatedAt: loadedAt,
    refetchOnWindowFocus: "always",
  });
  // Whichever is newer: the loader's data (after a form submission) or the last refetch.
  const projects = query.dataUpdatedAt > loadedAt ? query.data : loaded.projects;
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const creating = navigation.state === "submitting" && navigation.formData?.get("intent") === "create";
  return (
    <section aria-labelledby="projects-title" className="flex flex-col gap-6">
      <h2 id="projects-title" className="text-xl font-semibold">
        {t("org.projects.title")}
      </h2>
      {result?.intent === "delete" ? <FormError>{message(result.formError ?? result.fieldErrors.projectId)}</FormError> : null}
      {projects.length === 0 ? (
        <p className="text-muted">{t("org.projects.empty")}</p>
      ) : (
        <ul className="flex flex-col divide-y divide-border rounded-lk border border-border" aria-labelledby="projects-title">
          {projects.map((project) => (
            <li key={project.id} className="flex items-center justify-between gap-4 px-4 py-3">
              <div className="flex flex-col">
                <span className="font-medium">{project.name}</span>
                <span className="text-sm text-muted">
                  {project.createdAt.toLocaleDateString(locale, { dateStyle: "medium" })}
                </span>
              </div>
              {canManage ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="delete" />
                  <input type="hidden" name="projectId" value={project.id} />
                  <Button variant="secondary" aria-label={t("org.projects.deleteNamed", { name: project.name })}>
                    {t("org.projects.delete")}
                  </Button>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <Protect permission="org:projects:manage" fallback={<p className="text-sm text-muted">{t("org.projects.noPermission")}</p>}>
        <Form method="post" className="flex max-w-md flex-col gap-4" noValidate>
          <input type="hidden" name="intent" value="create" />
          {result?.intent === "create" ? <FormError>{message(result.formError)}</FormError> : null}
          <TextField
            label={t("form.projectName")}
            name="name"
            required
            maxLength={100}
            error={result?.intent === "create" ? message(result.fieldErrors.name) : null}
          />
          <Button pending={creating}>{t("org.projects.create")}</Button>
        </Form>
      </Protect>
    </section>
  );
}
