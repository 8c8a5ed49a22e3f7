/**
 * oauth: the "Continue with …" buttons of the configured providers; nothing when there are none. Their forms are a
 * separate file, downloaded only when there is a provider to show (see lazyPart).
 */
import { lazyPart } from "./lazy-part";

export interface OAuthButton {
  id: string;
  label: string;
  /** Custom OAuth 2.0 providers: the operator's icon (decorative; the text names the provider). */
  iconUrl?: string | null;
}

export interface OAuthButtonsProps {
  providers: OAuthButton[];
  redirectUrl: string;
  intent?: "sign_in" | "link";
  /** Where the buttons stand against the form (`appearance.layout.socialButtonsPlacement`): the divider goes between. */
  placement?: "top" | "bottom";
}

const OAuthProviderForms = lazyPart(() => import("./oauth-provider-forms"));

export function OAuthButtons(props: OAuthButtonsProps) {
  return props.providers.length === 0 ? null : <OAuthProviderForms {...props} />;
}
