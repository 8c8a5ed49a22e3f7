/**
 * The page an invitation email links to (`?token=inv_…`). Public: it shows whom the invitation is for and lets anyone
 * holding the link decline. Joining needs a session whose user has the invited address verified:
 * - signed in as the invitee → "Join {org}";
 * - signed in as someone else → the invited address named, with a way to sign out and come back;
 * - signed out → sign up with the address locked (the verify step brings them back here) or sign in.
 * Opening the link changes nothing (mail scanners open links); only the buttons do.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ApiError } from "@latchkey/api";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { metaT } from "~/i18n/meta";
import type { MessageKey } from "~/i18n/dictionary";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller } from "~/lib/auth.server";
import { formErrorResponse } from "~/lib/form-errors.server";
import type { FormMessage } from "~/lib/form-message";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["invitation"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [
  { title: metaT(matches)("invitation.title") },
  { name: "robots", content: "noindex" },
];

export async function loader(args: LoaderFunctionArgs) {
  const token = new URL(args.request.url).searchParams.get("token") ?? "";
  const invitation = token
    ? await (await getCaller(args)).invitation.get({ token }).catch((error: unknown) => {
        // A malformed, forged or replaced link: one message for all of them.
        if (error instanceof ApiError && (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST")) return null;
        throw error;
      })
    : null;
  return { token, invitation };
}

const noErrors = { fieldErrors: {} as Record<string, FormMessage>, formError: null as FormMessage | null };

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const intent = String(form.get("intent") ?? "");
  const token = String(form.get("token") ?? "");
  const caller = await getCaller(args);
  const here = `/invitations/accept?token=${encodeURIComponent(token)}`;
  let slug: string;
  try {
    if (intent === "sign-out") {
      await caller.auth.signOut();
      throw redirect(here, { headers: await getAuthHeaders(args) });
    }
    if (intent === "decline") {
      await caller.invitation.decline({ token });
      return { ...noErrors, declined: true };
    }
    slug = (await caller.invitation.accept({ token })).organization.slug;
  } catch (error) {
    return formErrorResponse(args, error, { declined: false });
  }
  throw redirect(`/org/${slug}`, { headers: await getAuthHeaders(args) });
}

const statusWords: Record<string, MessageKey> = {
  expired: "invitation.expired",
  revoked: "invitation.revoked",
  accepted: "invitation.accepted",
  declined: "invitation.declined",
};

export default function AcceptInvitation() {
  const t = useT();
  const message = useFormMessage();
  const { token, invitation } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const pending = (intent: string) => navigation.state === "submitting" && navigation.formData?.get("intent") === intent;

  if (!invitation) {
    return (
      <FormPage title={t("invitation.title")}>
        <p role="alert">{t("invitation.invalid")}</p>
        <Link to="/" className="text-primary underline">
          {t("error.backHome")}
        </Link>
      </FormPage>
    );
  }
  const names = { organization: invitation.organizationName, role: invitation.roleName, email: invitation.email };
  const here = `/invitations/accept?token=${encodeURIComponent(token)}`;
  const closed = result?.declined ? "declined" : invitation.status !== "pending" ? invitation.status : null;
  if (closed) {
    return (
      <FormPage title={t("invitation.title")}>
        <p>{t("invitation.lead", names)}</p>
        <p role="status">{t(statusWords[closed] ?? "invitation.invalid")}</p>
        <Link to="/" className="text-primary underline">
          {t("error.backHome")}
        </Link>
      </FormPage>
    );
  }

  const tokenField = <input type="hidden" name="token" value={token} />;
  return (
    <FormPage title={t("invitation.title")} wide>
      <p className="text-lg">{t("invitation.lead", names)}</p>
      <FormError>{message(result?.formError ?? result?.fieldErrors.token)}</FormError>
      {invitation.viewer === "invitee" ? (
        <Form method="post">
          {tokenField}
          <input type="hidden" name="intent" value="accept" />
          <Button pending={pending("accept")}>{t("invitation.join", names)}</Button>
        </Form>
      ) : null}
      {invitation.viewer === "other" ? (
        <div className="flex flex-col gap-3">
          <p role="status">{t("invitation.otherAccount", names)}</p>
          <Form method="post">
            {tokenField}
            <input type="hidden" name="intent" value="sign-out" />
            <Button variant="secondary" pending={pending("sign-out")}>
              {t("invitation.signOut")}
            </Button>
          </Form>
          <Link to={`/sign-in?redirect_url=${encodeURIComponent(here)}`} className="text-primary underline">
            {t("invitation.signInAs", names)}
          </Link>
        </div>
      ) : null}
      {invitation.viewer === "anonymous" ? (
        <div className="flex flex-col gap-3">
          <p>{t("invitation.signedOutLead", names)}</p>
          <div className="flex gap-4">
            <Link
              to={`/sign-up?${new URLSearchParams({ email: invitation.email, redirect_url: here }).toString()}`}
              className="text-primary underline"
            >
              {t("invitation.signUp")}
            </Link>
            <Link to={`/sign-in?redirect_url=${encodeURIComponent(here)}`} className="text-primary underline">
              {t("invitation.signIn")}
            </Link>
          </div>
        </div>
      ) : null}
      <Form method="post">
        {tokenField}
        <input type="hidden" name="intent" value="decline" />
        <Button variant="secondary" pending={pending("decline")}>
          {t("invitation.decline")}
        </Button>
      </Form>
    </FormPage>
  );
}
