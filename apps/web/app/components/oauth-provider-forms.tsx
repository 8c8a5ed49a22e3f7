/**
 * "Continue with …" buttons, one plain form per provider posting to /sign-in/oauth/:provider (a full page navigation:
 * the provider is another site). Loaded by `OAuthButtons` only when some provider is configured.
 */
import { useT } from "~/i18n/react";
import type { OAuthButtonsProps } from "./oauth-buttons";

export default function OAuthProviderForms({ providers, redirectUrl, intent = "sign_in" }: OAuthButtonsProps) {
  const t = useT();
  return (
    <div className="flex flex-col gap-2">
      {intent === "sign_in" ? <p className="text-sm text-muted">{t("oauth.or")}</p> : null}
      {providers.map((provider) => (
        <form key={provider.id} method="post" action={`/sign-in/oauth/${encodeURIComponent(provider.id)}`}>
          <input type="hidden" name="redirect_url" value={redirectUrl} />
          <input type="hidden" name="intent" value={intent} />
          <button
            type="submit"
            className="w-full rounded-lk border border-border px-4 py-2 font-medium hover:bg-surface focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2"
          >
            {t(intent === "link" ? "connected.connect" : "oauth.continueWith", { provider: provider.label })}
          </button>
        </form>
      ))}
    </div>
  );
}
