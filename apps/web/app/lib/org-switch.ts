import { getSafeRedirect } from "@latchkey/auth";

/** The organization's page, or the switcher's `afterSelectOrganizationUrl` with `:slug`/`:id` filled in (same origin only). */
export function afterSwitch(org: { id: string; slug: string } | null, template: FormDataEntryValue | null): string {
  if (!org) return "/";
  if (typeof template !== "string" || template === "") return `/org/${org.slug}`;
  const filled = template.replaceAll(":slug", encodeURIComponent(org.slug)).replaceAll(":id", encodeURIComponent(org.id));
  return getSafeRedirect(filled, `/org/${org.slug}`);
}
