/**
 * /user/passkeys: the caller's passkeys (name, created, last used), add one, rename, remove.
 *
 * Rename and remove are plain form posts (post/redirect/get with `?done=…`), so they work without JavaScript. Adding
 * needs the browser's WebAuthn API, so it needs JavaScript: the button fetches the options, runs `startRegistration`
 * and posts the answer to this route's action. Adding and removing need a recent password check (strict, 10
 * minutes); without one the page offers the /reverify step first. (`user_` keeps this page outside /user's layout.)
 */
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSubmit } from "@remix-run/react";
import { useEffect, useId, useState } from "react";
import { ApiError } from "@latchkey/api";
import { isReverified } from "@latchkey/auth";
import { Button } from "~/components/button";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import type { MessageKey } from "~/i18n/dictionary";
import { metaT } from "~/i18n/meta";
import { useLocale, useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import type { FormMessage } from "~/lib/form-message";
import { formRouteHeaders } from "~/lib/route-headers";
import { doneFlags } from "~/lib/done-flags.server";
import { DoneNotice } from "~/components/done-notice";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["passkeys"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("passkeys.title") }];

const PAGE = "/user/passkeys";
const REVERIFY = `/reverify?redirect_url=${encodeURIComponent(PAGE)}&level=strict`;
const done = doneFlags(PAGE, {
  added: "passkeys.done.added",
  renamed: "passkeys.done.renamed",
  removed: "passkeys.done.removed",
});

export async function loader(args: LoaderFunctionArgs) {
  const auth = await requireAuth(args);
  const passkeys = await (await getCaller(args)).passkey.list();
  return {
    passkeys: passkeys.map(({ id, name, createdAt, lastUsedAt }) => ({ id, name, createdAt, lastUsedAt })),
    reverified: isReverified(auth.lastReverifiedAt, "strict", new Date()),
    done: done.read(args.request),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args);
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const passkeyId = String(form.get("passkeyId") ?? "");
  const caller = await getCaller(args);
  try {
    switch (intent) {
      case "register": {
        const name = String(form.get("name") ?? "").trim();
        await caller.passkey.register({
          challengeId: String(form.get("challengeId") ?? ""),
          response: parseJson(String(form.get("response") ?? "")) as never,
          ...(name ? { name } : {}),
        });
        return done.back(args, "added");
      }
      case "rename":
        await caller.passkey.rename({ passkeyId, name: String(form.get("name") ?? "") });
        return done.back(args, "renamed");
      case "remove":
        await caller.passkey.remove({ passkeyId });
        return done.back(args, "removed");
      default:
        return data({ fieldErrors: {} as Record<string, FormMessage>, formError: { key: "common.error" } as FormMessage, intent, passkeyId }, { status: 400 });
    }
  } catch (error) {
    if (error instanceof ApiError && error.reason === "REVERIFICATION_REQUIRED") {
      throw redirect(REVERIFY, { headers: await getAuthHeaders(args) });
    }
    return formErrorResponse(args, error, { intent, passkeyId }, { NOT_FOUND: "passkeys.errors.notFound", ALREADY_EXISTS: "passkeys.errors.alreadyRegistered" });
  }
}

type Passkey = ReturnType<typeof useLoaderData<typeof loader>>["passkeys"][number];

const dateFormat = { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" } as const;

export default function Passkeys() {
  const t = useT();
  const message = useFormMessage();
  const titleId = useId();
  const { passkeys, done: doneMessage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const listError = result && result.intent !== "register" ? (result.formError ?? result.fieldErrors.name ?? result.fieldErrors.passkeyId) : null;
  return (
    <section aria-labelledby={titleId} className="mx-auto flex w-full max-w-2xl flex-col gap-6 py-10">
      <p className="text-sm">
        <Link to="/user" className="text-primary underline">
          {t("passkeys.back")}
        </Link>
      </p>
      <h1 id={titleId} className="text-2xl font-semibold">
        {t("passkeys.title")}
      </h1>
      <p className="text-muted">{t("passkeys.lead")}</p>
      <DoneNotice message={doneMessage} />
      {listError ? <FormError>{message(listError)}</FormError> : null}
      {passkeys.length === 0 ? (
        <p className="text-muted">{t("passkeys.empty")}</p>
      ) : (
        <ul aria-label={t("passkeys.listLabel")} className="flex flex-col divide-y divide-border rounded-lk border border-border">
          {passkeys.map((passkey) => (
            <PasskeyRow key={passkey.id} passkey={passkey} />
          ))}
        </ul>
      )}
      <AddPasskey />
    </section>
  );
}

function PasskeyRow({ passkey }: { passkey: Passkey }) {
  const t = useT();
  const locale = useLocale();
  const navigation = useNavigation();
  const busy = (intent: string) =>
    navigation.state === "submitting" && navigation.formData?.get("intent") === intent && navigation.formData.get("passkeyId") === passkey.id;
  const when = (date: Date) => `${date.toLocaleString(locale, dateFormat)} UTC`;
  return (
    <li className="flex flex-col gap-3 px-4 py-3">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="flex flex-col gap-1">
          <span className="font-medium">{passkey.name}</span>
          <span className="text-sm text-muted">
            {t("passkeys.created", { date: when(passkey.createdAt) })} ·{" "}
            {passkey.lastUsedAt ? t("passkeys.lastUsed", { date: when(passkey.lastUsedAt) }) : t("passkeys.neverUsed")}
          </span>
        </div>
        <Form method="post">
          <input type="hidden" name="intent" value="remove" />
          <input type="hidden" name="passkeyId" value={passkey.id} />
          <Button variant="secondary" pending={busy("remove")} aria-label={t("passkeys.removeNamed", { name: passkey.name })}>
            {t("passkeys.remove")}
          </Button>
        </Form>
      </div>
      <Form method="post" className="flex flex-wrap items-end gap-2">
        <input type="hidden" name="intent" value="rename" />
        <input type="hidden" name="passkeyId" value={passkey.id} />
        <TextField label={t("passkeys.newName", { name: passkey.name })} name="name" defaultValue={passkey.name} maxLength={64} required className="flex-1" />
        <Button variant="secondary" pending={busy("rename")} aria-label={t("passkeys.renameNamed", { name: passkey.name })}>
          {t("passkeys.rename")}
        </Button>
      </Form>
    </li>
  );
}

/** Runs the browser's passkey creation and posts the answer to the action; needs JavaScript and a recent password check. */
function AddPasskey() {
  const t = useT();
  const message = useFormMessage();
  const headingId = useId();
  const { reverified } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const submit = useSubmit();
  const navigation = useNavigation();
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<MessageKey | null>(null);
  const [working, setWorking] = useState(false);
  // The button only works with JavaScript, so it appears once the page is hydrated; until then a note says why.
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  // A malformed answer names a nested field (`response.response.clientDataJSON`): any of them is "the passkey failed".
  const serverError =
    result?.intent === "register"
      ? (result.formError ?? Object.entries(result.fieldErrors).find(([field]) => /^(response|challengeId|name)\b/.test(field))?.[1] ?? null)
      : null;

  async function add() {
    setProblem(null);
    setWorking(true);
    try {
      const [{ startRegistration, browserSupportsWebAuthn }, client] = await Promise.all([import("@simplewebauthn/browser"), import("~/lib/passkey-client")]);
      if (!browserSupportsWebAuthn()) {
        setProblem("passkeys.errors.unsupported");
        return;
      }
      let started;
      try {
        started = await client.callMutation<{ challengeId: string; options: Parameters<typeof startRegistration>[0]["optionsJSON"] }>("passkey.registrationOptions");
      } catch (error) {
        if (error instanceof client.PasskeyCallError && error.reason === "REVERIFICATION_REQUIRED") {
          window.location.assign(REVERIFY);
          return;
        }
        setProblem(error instanceof client.PasskeyCallError && error.reason === "PASSKEY_LIMIT_REACHED" ? "passkeys.errors.limitReached" : "common.error");
        return;
      }
      let response;
      try {
        response = await startRegistration({ optionsJSON: started.options });
      } catch (error) {
        const alreadyThere = (error as { name?: string }).name === "InvalidStateError";
        setProblem(alreadyThere ? "passkeys.errors.alreadyRegistered" : client.isCancelled(error) ? "passkeys.errors.cancelled" : "passkeys.errors.failed");
        return;
      }
      submit({ intent: "register", challengeId: started.challengeId, response: JSON.stringify(response), name }, { method: "post" });
    } finally {
      setWorking(false);
    }
  }

  return (
    <section aria-labelledby={headingId} className="flex max-w-md flex-col gap-3">
      <h2 id={headingId} className="text-xl font-semibold">
        {t("passkeys.addTitle")}
      </h2>
      <p className="text-sm text-muted">{t("passkeys.addLead")}</p>
      {reverified ? (
        <>
          <FormError>{problem ? t(problem) : message(serverError)}</FormError>
          {hydrated ? (
            <>
              <TextField label={t("passkeys.nameOptional")} name="name" value={name} onChange={(e) => setName(e.target.value)} maxLength={64} />
              <Button type="button" onClick={() => void add()} pending={working || (navigation.state === "submitting" && navigation.formData?.get("intent") === "register")}>
                {t("passkeys.add")}
              </Button>
            </>
          ) : (
            <p className="text-sm text-muted">{t("passkeys.needsJavaScript")}</p>
          )}
        </>
      ) : (
        <p>
          <Link to={REVERIFY} className="text-primary underline">
            {t("passkeys.reverifyToAdd")}
          </Link>
        </p>
      )}
    </section>
  );
}
