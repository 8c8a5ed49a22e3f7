/**
 * "Continue with …" buttons, one plain form per provider posting to /sign-in/oauth/:provider (a full page navigation:
 * the provider is another site), with the "or" divider on the form's side. Loaded by `OAuthButtons` only when some
 * provider is configured.
 */
import { useT } from "~/i18n/react";
import { useElement } from "./latchkey-provider";
import type { OAuthButtonsProps } from "./oauth-buttons";

export default function OAuthProviderForms({ providers, redirectUrl, intent = "sign_in", placement = "bottom" }: OAuthButtonsProps) {
  const t = useT();
  const container = useElement("socialButtons", "flex flex-col gap-2");
  const button = useElement(
    "socialButtonsBlockButton",
    "flex min-h-10 w-full items-center justify-center gap-2 rounded-lk border border-border px-4 py-2 text-sm font-medium hover:bg-subtle focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2",
  );
  if (providers.length === 0) return null;
  const divider = intent === "sign_in" ? <Divider /> : null;
  return (
    <div {...container} data-placement={placement}>
      {placement === "bottom" ? divider : null}
      {providers.map((provider) => (
        <form key={provider.id} method="post" action={`/sign-in/oauth/${encodeURIComponent(provider.id)}`}>
          <input type="hidden" name="redirect_url" value={redirectUrl} />
          <input type="hidden" name="intent" value={intent} />
          <button type="submit" {...button}>
            {provider.iconUrl ? <img src={provider.iconUrl} alt="" width={20} height={20} className="h-5 w-5" /> : null}
            {t(intent === "link" ? "connected.connect" : "oauth.continueWith", { provider: provider.label })}
          </button>
        </form>
      ))}
      {placement === "top" ? divider : null}
    </div>
  );
}

/** "or" between two lines. */
function Divider() {
  const t = useT();
  const row = useElement("dividerRow", "my-1 flex items-center gap-3");
  const line = useElement("dividerLine", "h-px flex-1 bg-border");
  const text = useElement("dividerText", "text-sm text-muted");
  return (
    <div {...row}>
      <span aria-hidden="true" {...line} />
      <p {...text}>{t("oauth.divider")}</p>
      <span aria-hidden="true" {...line} />
    </div>
  );
}
