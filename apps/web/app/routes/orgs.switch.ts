/** The organization switcher's target: stores the choice on the session, then opens that organization (or home). */
import { data, redirect, type ActionFunctionArgs } from "@remix-run/node";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { isFormError, statusOf } from "~/lib/form-errors.server";
import { afterSwitch } from "~/lib/org-switch";
import { readFormData } from "~/lib/form-data.server";

export async function loader() {
  return redirect("/");
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args);
  const form = await readFormData(args.request);
  const organizationId = String(form.get("organizationId") ?? "") || null;
  let org;
  try {
    org = await (await getCaller(args)).organization.setActive({ organizationId });
  } catch (error) {
    if (!isFormError(error)) throw error;
    return data({ error: "forbidden" }, { status: statusOf(error) });
  }
  throw redirect(afterSwitch(org, form.get("redirectTo")), { headers: await getAuthHeaders(args) });
}
