/**
 * "Use a passkey" on /sign-in/factor-two (and /reverify, with `optionsProcedure`): asks the browser for one of the
 * user's passkeys and posts the answer to the page's action (`strategy=passkey`). Needs JavaScript and WebAuthn, so it appears only once the page knows
 * the browser has them; the code fields work without.
 */
import { useSubmit } from "@remix-run/react";
import { useEffect, useState } from "react";
import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import type { MessageKey } from "~/i18n/dictionary";
import { useT } from "~/i18n/react";

type Options = { challengeId: string; options: PublicKeyCredentialRequestOptionsJSON };

export function PasskeySecondFactor({
  redirectUrl,
  optionsProcedure = "signIn.passkeyOptions",
  label = "factorTwo.usePasskey",
}: {
  redirectUrl: string;
  /** The mutation that makes the WebAuthn options for this page. */
  optionsProcedure?: "signIn.passkeyOptions" | "auth.reverificationPasskeyOptions";
  label?: MessageKey;
}) {
  const t = useT();
  const submit = useSubmit();
  const [supported, setSupported] = useState(false);
  const [working, setWorking] = useState(false);
  const [problem, setProblem] = useState<MessageKey | null>(null);

  useEffect(() => {
    if (typeof window.PublicKeyCredential === "function") setSupported(true);
  }, []);

  if (!supported) return null;
  return (
    <div className="flex flex-col gap-2">
      <FormError>{problem ? t(problem) : null}</FormError>
      <Button
        type="button"
        variant="secondary"
        pending={working}
        onClick={() => {
          setWorking(true);
          setProblem(null);
          void (async () => {
            const [{ startAuthentication }, client] = await Promise.all([import("@simplewebauthn/browser"), import("~/lib/passkey-client")]);
            try {
              const started = await client.callMutation<Options>(optionsProcedure);
              const response = await startAuthentication({ optionsJSON: started.options });
              submit({ strategy: "passkey", challengeId: started.challengeId, response: JSON.stringify(response), redirect_url: redirectUrl }, { method: "post" });
            } catch (error) {
              if (!client.isCancelled(error)) setProblem("passkeys.errors.failed");
            } finally {
              setWorking(false);
            }
          })();
        }}
      >
        {t(label)}
      </Button>
    </div>
  );
}
