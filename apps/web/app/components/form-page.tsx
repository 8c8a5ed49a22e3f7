import { useId, type ReactNode } from "react";
import { useT } from "~/i18n/react";
import type { Appearance } from "~/lib/appearance";
import { AppearanceScope, useAppearance, useElement } from "./latchkey-provider";

export interface FormPageProps {
  title: string;
  /** A line under the title ("to continue to Latchkey"). */
  subtitle?: string;
  wide?: boolean;
  /** Overrides the app's appearance for this card (Clerk's `appearance` prop). */
  appearance?: Appearance;
  children: ReactNode;
}

/** The frame of a single-form page (sign in, sign up, reset, …): a card with the app's logo or name and a title. */
export function FormPage({ appearance, ...props }: FormPageProps) {
  return (
    <AppearanceScope appearance={appearance}>
      <FormCard {...props} />
    </AppearanceScope>
  );
}

function FormCard({ title, subtitle, wide = false, children }: Omit<FormPageProps, "appearance">) {
  const id = useId();
  const t = useT();
  const logoUrl = useAppearance().layout?.logoImageUrl;
  const card = useElement(
    "card",
    `mx-auto flex w-full ${wide ? "max-w-md" : "max-w-sm"} flex-col gap-6 rounded-lk border border-border bg-bg px-6 py-8 shadow-sm sm:px-8`,
  );
  const logo = useElement("logoImage", "h-8 w-auto");
  const heading = useElement("headerTitle", "text-2xl font-semibold");
  const sub = useElement("headerSubtitle", "text-sm text-muted");
  return (
    <section aria-labelledby={id} {...card}>
      <div className="flex flex-col gap-2">
        {/* Without a logo the subtitle names the app ("to continue to …"); the header already shows the name. */}
        {logoUrl ? <img src={logoUrl} alt={t("app.name")} {...logo} /> : null}
        <h1 id={id} {...heading}>
          {title}
        </h1>
        {subtitle ? <p {...sub}>{subtitle}</p> : null}
      </div>
      {children}
    </section>
  );
}
