/**
 * Where an emailed magic link lands. Opening it does not sign in: mail scanners fetch links before people do, so
 * only pressing the button (a POST) uses the one-shot token.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { getSafeRedirect } from "@latchkey/auth";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import { afterSignIn, getAuthHeaders, getCaller } from "~/lib/auth.server";
import { formErrorResponse, type ReasonOverrides } from "~/lib/form-errors.server";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const meta: MetaFunction = ({ matches }) => [
  { title: metaT(matches)("passwordless.linkTitle") },
  // The token is in the URL: keep the page out of search engines (the Referrer-Policy already hides it from other sites).
  { name: "robots", content: "noindex" },
];

/** Here a token problem is about a sign-in link, not a reset link. */
const linkReasonKeys: ReasonOverrides = {
  INVALID_TOKEN: "passwordless.linkInvalid",
  EXPIRED_TOKEN: "passwordless.linkExpired",
};

export async function loader({ request }: LoaderFunctionArgs) {
  const params = new URL(request.url).searchParams;
  return {
    token: (params.get("token") ?? "").slice(0, 256),
    redirectUrl: getSafeRedirect(params.get("redirect_url"), "/"),
  };
}

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const redirectUrl = getSafeRedirect(String(form.get("redirect_url") ?? ""), "/");
  let result;
  try {
    result = await (await getCaller(args)).passwordless.confirmLink({ token: String(form.get("token") ?? "") });
  } catch (error) {
    return formErrorResponse(args, error, {}, linkReasonKeys);
  }
  throw redirect(afterSignIn(result, redirectUrl), { headers: await getAuthHeaders(args) });
}

export default function SignInWithLink() {
  const t = useT();
  const message = useFormMessage();
  const { token, redirectUrl } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const pending = useNavigation().state === "submitting";
  // A link without a token can't work; one whose token was refused can't either: say so, and offer the way back.
  const linkProblem = token ? message(result?.fieldErrors.token) : t("passwordless.linkInvalid");
  return (
    <FormPage title={t("passwordless.linkTitle")}>
      {linkProblem ? (
        <>
          <FormError>{linkProblem}</FormError>
          <p className="text-sm">
            <Link to={redirectUrl === "/" ? "/sign-in" : `/sign-in?redirect_url=${encodeURIComponent(redirectUrl)}`} className="text-primary underline">
              {t("passwordless.askAgain")}
            </Link>
          </p>
        </>
      ) : (
        <Form method="post" className="flex flex-col gap-4" noValidate>
          <p className="text-muted">{t("passwordless.linkLead")}</p>
          <input type="hidden" name="token" value={token} />
          <input type="hidden" name="redirect_url" value={redirectUrl} />
          <FormError>{message(result?.formError)}</FormError>
          <Button pending={pending}>{t("passwordless.linkSubmit")}</Button>
        </Form>
      )}
    </FormPage>
  );
}
