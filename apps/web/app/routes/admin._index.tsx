import { useT } from "~/i18n/react";

export default function AdminOverview() {
  const t = useT();
  return <p>{t("admin.intro")}</p>;
}
