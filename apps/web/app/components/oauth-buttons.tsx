/**
 * oauth: "Continue with …" buttons, one plain form per provider posting to /sign-in/oauth/:provider (a full page
 * navigation: the provider is another site). Shown only for configured providers; nothing when there are none.
 */
import { useT } from "~/i18n/react";

export interface OAuthButton {
  id: string;
  label: string;
  /** Custom OAuth 2.0 providers: the operator's icon (decorative; the text names the provider). */
  iconUrl?: string | null;
}

export function OAuthButtons({ providers, redirectUrl, intent = "sign_in" }: { providers: OAuthButton[]; redirectUrl: string; intent?: "sign_in" | "link" }) {
  const t = useT();
  if (providers.length === 0) return null;
  return (
    <div className="flex flex-col gap-2">
      {intent === "sign_in" ? <p className="text-sm text-muted">{t("oauth.or")}</p> : null}
      {providers.map((provider) => (
        <form key={provider.id} method="post" action={`/sign-in/oauth/${encodeURIComponent(provider.id)}`}>
          <input type="hidden" name="redirect_url" value={redirectUrl} />
          <input type="hidden" name="intent" value={intent} />
          <button
            type="submit"
            className="flex w-full items-center justify-center gap-2 rounded-lk border border-border px-4 py-2 font-medium hover:bg-surface focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2"
          >
            {provider.iconUrl ? <img src={provider.iconUrl} alt="" width={20} height={20} className="h-5 w-5" /> : null}
            {t(intent === "link" ? "connected.connect" : "oauth.continueWith", { provider: provider.label })}
          </button>
        </form>
      ))}
    </div>
  );
}
