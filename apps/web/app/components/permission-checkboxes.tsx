import { useT } from "~/i18n/react";

export interface PermissionCatalogue {
  system: readonly string[];
  app: readonly string[];
  custom: readonly { key: string; name: string; description: string | null }[];
}

/** A role's permissions as checkboxes, grouped as system, app (declared in code) and custom permissions. */
export function PermissionCheckboxes({ catalogue, checked, error }: { catalogue: PermissionCatalogue; checked: readonly string[]; error?: string | null }) {
  const t = useT();
  const groups: { title: string; items: { key: string; name?: string }[] }[] = [
    { title: t("adminRoles.system.permissions"), items: catalogue.system.map((key) => ({ key })) },
    { title: t("adminRoles.app.permissions"), items: catalogue.app.map((key) => ({ key })) },
    { title: t("adminRoles.permissions.title"), items: catalogue.custom.map((p) => ({ key: p.key, name: p.name })) },
  ];
  return (
    <fieldset className="flex flex-col gap-3" aria-invalid={error ? true : undefined}>
      <legend className="text-sm font-medium">{t("adminRoles.field.permissions")}</legend>
      {groups
        .filter((group) => group.items.length > 0)
        .map((group) => (
          <div key={group.title} className="flex flex-col gap-1">
            <p className="text-sm text-muted">{group.title}</p>
            <div className="grid grid-cols-1 gap-1 sm:grid-cols-2">
              {group.items.map((item) => (
                <label key={item.key} className="flex items-center gap-2 text-sm">
                  <input type="checkbox" name="permissions" value={item.key} defaultChecked={checked.includes(item.key)} />
                  <code>{item.key}</code>
                  {item.name ? <span className="text-muted">{item.name}</span> : null}
                </label>
              ))}
            </div>
          </div>
        ))}
      {error ? (
        <p role="alert" className="text-sm text-danger">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
