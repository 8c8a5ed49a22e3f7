import { Form } from "@remix-run/react";
import { useT } from "~/i18n/react";
import type { ImpersonationBannerData } from "~/lib/impersonation";

/**
 * On every page while an instance admin views the app as a user: who is being viewed, and a "Stop viewing" button (a
 * plain POST form, so it works without JavaScript). A landmark region with its own name, so it is easy to find.
 */
export function ImpersonationBanner({ impersonation }: { impersonation: ImpersonationBannerData }) {
  const t = useT();
  return (
    <section aria-label={t("impersonation.banner.label")} className="border-b border-danger bg-subtle">
      <div className="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-3 px-4 py-2">
        <div className="flex flex-col">
          <p className="font-semibold">{t("impersonation.banner.text", { name: impersonation.userLabel })}</p>
          <p className="text-sm text-muted">
            {t("impersonation.banner.detail", { admin: impersonation.adminLabel, time: impersonation.endsAt })}
          </p>
        </div>
        <Form method="post" action="/impersonation/stop">
          <button type="submit" className="rounded-lk border border-danger bg-bg px-3 py-1.5 text-sm font-medium text-fg hover:bg-subtle">
            {t("impersonation.banner.stop")}
          </button>
        </Form>
      </div>
    </section>
  );
}
