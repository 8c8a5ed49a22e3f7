/**
 * The bot-protection fields of a sign-up, sign-in, waitlist or password-reset form (ADR 027): a honeypot nobody sees,
 * and, when the instance asks for it, the server's form token plus a proof of work that the browser solves invisibly.
 * The solver (ALTCHA's, from the `altcha` package) is loaded only when there is a challenge, so a page without bot
 * protection ships none of it. Without JavaScript the form token alone is sent, and the server wants it a few
 * seconds old. `data-bot-check` says where the work is (off, solving, solved, failed) for tests.
 */
import { useEffect, useState } from "react";
import type { Challenge } from "altcha/lib";
import { useT } from "~/i18n/react";

export const botCheckFieldNames = { solution: "altcha", formToken: "bot_token", honeypot: "website" } as const;

/** What a loader hands the form: null while bot protection is off. */
export type BotCheckData = { challenge: unknown; formToken: string | null } | null;

type State = "off" | "solving" | "solved" | "failed";

export function BotCheckFields({ check }: { check: BotCheckData }) {
  const t = useT();
  const challenge = (check?.challenge ?? null) as Challenge | null;
  const [solution, setSolution] = useState("");
  const [state, setState] = useState<State>(challenge ? "solving" : "off");

  useEffect(() => {
    if (!challenge) return;
    let cancelled = false;
    setSolution("");
    setState("solving");
    void (async () => {
      try {
        const { solveChallenge, pbkdf2 } = await import("altcha/lib");
        const solved = await solveChallenge({ challenge, deriveKey: pbkdf2.deriveKey });
        if (cancelled) return;
        if (!solved) return setState("failed");
        setSolution(btoa(JSON.stringify({ challenge, solution: solved })));
        setState("solved");
      } catch {
        // The form token still goes with the form: the server then treats it like a browser without JavaScript.
        if (!cancelled) setState("failed");
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [challenge]);

  return (
    <div data-bot-check={state}>
      {check?.formToken ? <input type="hidden" name={botCheckFieldNames.formToken} value={check.formToken} /> : null}
      {solution ? <input type="hidden" name={botCheckFieldNames.solution} value={solution} /> : null}
      {challenge ? (
        <noscript>
          <p className="text-sm text-muted">{t("botCheck.noScript")}</p>
        </noscript>
      ) : null}
      {/* The honeypot: off-screen and out of the accessibility tree and tab order; a person leaves it empty. */}
      <div aria-hidden="true" className="absolute left-[-10000px] top-auto h-px w-px overflow-hidden">
        <label>
          {t("botCheck.honeypot")}
          <input type="text" name={botCheckFieldNames.honeypot} tabIndex={-1} autoComplete="off" defaultValue="" />
        </label>
      </div>
    </div>
  );
}
