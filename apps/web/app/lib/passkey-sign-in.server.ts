/** The /sign-in action's passkey branch: the browser's answer (JSON in a form field) goes to `passkey.signIn`. */
import type { getCaller } from "./auth.server";
import type { ReasonOverrides } from "./form-errors.server";

export const passkeyErrorKeys: ReasonOverrides = {
  PASSKEY_NOT_ACCEPTED: "passkeys.signIn.notAccepted",
  PASSKEY_INVALID_RESPONSE: "passkeys.signIn.notAccepted",
  PASSKEY_CHALLENGE_INVALID: "passkeys.signIn.expired",
};

export async function signInWithPasskey(caller: Awaited<ReturnType<typeof getCaller>>, form: FormData) {
  let response: unknown = null;
  try {
    response = JSON.parse(String(form.get("response") ?? ""));
  } catch {
    // Left null: the procedure answers with a 400 naming the field.
  }
  return caller.passkey.signIn({ challengeId: String(form.get("challengeId") ?? ""), response: response as never });
}
