/**
 * "Sign in with a passkey" on /sign-in, and the browser's autofill prompt (conditional UI) on the email field, which
 * carries `autocomplete="username webauthn"`. Both need JavaScript and WebAuthn, so the button appears only once the
 * page knows the browser has them; the password form works without. The browser's answer is posted to /sign-in's
 * action (`intent=passkey`), which finishes the sign-in on the server and sets the session cookie.
 *
 * The WebAuthn code is loaded on demand (on the button, or when the visitor heads for the email field), so the
 * sign-in page stays light for people who never use a passkey.
 */
import { useSubmit } from "@remix-run/react";
import { useEffect, useState } from "react";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import type { MessageKey } from "~/i18n/dictionary";
import { useT } from "~/i18n/react";

/** The error about the passkey's answer or challenge, if the action returned one (a malformed answer names a nested field). */
export function passkeyFieldError<T>(fieldErrors: Record<string, T> | undefined): T | undefined {
  if (!fieldErrors) return undefined;
  return Object.entries(fieldErrors).find(([field]) => /^(response|challengeId)\b/.test(field))?.[1];
}

type Options = { challengeId: string; options: PublicKeyCredentialRequestOptionsJSON };

export function PasskeySignIn({ redirectUrl, serverError }: { redirectUrl: string; serverError: string | null }) {
  const t = useT();
  const submit = useSubmit();
  const [supported, setSupported] = useState(false);
  const [working, setWorking] = useState(false);
  const [problem, setProblem] = useState<MessageKey | null>(null);

  async function authenticate(autofill: boolean) {
    const [{ startAuthentication }, client] = await Promise.all([import("@simplewebauthn/browser"), import("~/lib/passkey-client")]);
    const started = await client.callMutation<Options>("passkey.authenticationOptions");
    try {
      const response = await startAuthentication({ optionsJSON: started.options, useBrowserAutofill: autofill });
      submit({ intent: "passkey", challengeId: started.challengeId, response: JSON.stringify(response), redirect_url: redirectUrl }, { method: "post" });
    } catch (error) {
      // Closing the prompt, or the button taking over from the autofill prompt, is not an error worth showing.
      if (!client.isCancelled(error) && !autofill) setProblem("passkeys.errors.failed");
    }
  }

  useEffect(() => {
    if (typeof window.PublicKeyCredential !== "function") return;
    setSupported(true);
    // The autofill prompt starts when the visitor heads for the email field (pointer over it, or focus), so the
    // WebAuthn code is downloaded only by people about to sign in, and the page itself stays light.
    const input = document.querySelector<HTMLInputElement>('input[autocomplete~="webauthn"]');
    if (!input) return;
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      void (async () => {
        const conditional = await window.PublicKeyCredential.isConditionalMediationAvailable?.().catch(() => false);
        if (conditional) await authenticate(true).catch(() => undefined);
      })();
    };
    input.addEventListener("pointerover", start);
    input.addEventListener("focus", start);
    if (document.activeElement === input) start();
    return () => {
      input.removeEventListener("pointerover", start);
      input.removeEventListener("focus", start);
    };
    // Once per page: the autofill prompt then waits in the background until a passkey is chosen.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  if (!supported) return null;
  return (
    <div className="flex flex-col gap-2">
      <FormError>{problem ? t(problem) : serverError}</FormError>
      <Button
        type="button"
        variant="secondary"
        pending={working}
        onClick={() => {
          setProblem(null);
          setWorking(true);
          void authenticate(false)
            .catch(() => setProblem("passkeys.errors.failed"))
            .finally(() => setWorking(false));
        }}
      >
        {t("passkeys.signIn.button")}
      </Button>
    </div>
  );
}
