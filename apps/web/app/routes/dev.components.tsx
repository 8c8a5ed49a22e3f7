/**
 * /dev/components: every prebuilt component in its states, in light and dark side by side, so people can see and
 * try them. Development only (404 in production unless LATCHKEY_COMPONENT_GALLERY=1, which the browser tests set).
 */
import type { MetaFunction } from "@remix-run/node";
import { useState, type ReactNode } from "react";
import { Button } from "~/components/button";
import { FormPage } from "~/components/form-page";
import { OAuthButtons } from "~/components/oauth-buttons";
import { OrganizationSwitcher } from "~/components/organization-switcher";
import { TextField } from "~/components/text-field";
import { UserButton } from "~/components/user-button";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import type { Appearance } from "~/lib/appearance";
import { getEnv } from "~/lib/env.server";
import type { HeaderSession } from "~/lib/header-session";

export const handle = {
  i18n: ["devComponents", "signIn", "form.emailAddress", "form.password", "oauth", "connected.connect"],
} satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("devComponents.title") }];

export function loader() {
  if (!getEnv().componentGallery) throw new Response("Not Found", { status: 404 });
  return null;
}

const providers = [
  { id: "github", label: "GitHub" },
  { id: "google", label: "Google" },
];

/** What a developer would pass as a component's own `appearance` prop. */
const customAppearance: Appearance = {
  variables: { colorPrimary: "#e11d48", borderRadius: "1rem" },
  elements: { card: "gallery-custom-card shadow-xl", formButtonPrimary: { textTransform: "uppercase" } },
  layout: { socialButtonsPlacement: "top" },
};

const sampleSession: HeaderSession = {
  sessionId: "sess_sample",
  user: {
    id: "user_sample",
    name: "Ada Lovelace",
    firstName: "Ada",
    lastName: "Lovelace",
    username: null,
    email: "ada@example.com",
    imageUrl: null,
    initials: "AL",
  },
  organization: { id: "org_sample", slug: "analytical-engines", name: "Analytical Engines", imageUrl: null },
  orgRoles: ["org:admin"],
  orgPermissions: [],
  organizations: [
    { id: "org_sample", slug: "analytical-engines", name: "Analytical Engines", imageUrl: null },
    { id: "org_other", slug: "difference-co", name: "Difference & Co", imageUrl: null },
  ],
  isInstanceAdmin: false,
};

function SignInSample({ appearance, withErrors = false }: { appearance?: Appearance; withErrors?: boolean }) {
  const t = useT();
  return (
    <FormPage title={t("signIn.title")} subtitle={t("signIn.subtitle", { app: t("app.name") })} appearance={appearance}>
      {appearance?.layout?.socialButtonsPlacement === "top" ? <OAuthButtons providers={providers} redirectUrl="/" placement="top" /> : null}
      <form className="flex flex-col gap-4" noValidate onSubmit={(event) => event.preventDefault()}>
        <TextField label={t("form.emailAddress")} name="email" type="email" error={withErrors ? t("signIn.invalid") : null} defaultValue={withErrors ? "ada@example" : undefined} />
        <TextField label={t("form.password")} name="password" type="password" />
        <Button type="button">{t("signIn.submit")}</Button>
      </form>
      {appearance?.layout?.socialButtonsPlacement === "top" ? null : <OAuthButtons providers={providers} redirectUrl="/" />}
    </FormPage>
  );
}

function Specimen({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="flex flex-col gap-3">
      <h3 className="text-sm font-semibold text-muted">{title}</h3>
      {children}
    </section>
  );
}

/** UserButton.MenuItems: a custom link, a custom action, and the built-in "Manage account" moved below them. */
function CustomMenuSample() {
  const t = useT();
  const [greeted, setGreeted] = useState(false);
  return (
    <div className="flex flex-col items-end gap-2 pb-72" data-specimen="custom-menu">
      <UserButton user={sampleSession.user}>
        <UserButton.MenuItems>
          <UserButton.Link label={t("devComponents.helpLink")} href="/dev/components#help" />
          <UserButton.Action label={t("devComponents.helloAction")} onClick={() => setGreeted(true)} />
          <UserButton.Action label="manageAccount" />
        </UserButton.MenuItems>
      </UserButton>
      {greeted ? <p role="status">{t("devComponents.helloDone")}</p> : null}
    </div>
  );
}

/** One column of every specimen, in one colour scheme (light-dark() follows color-scheme on the wrapper). */
function Column({ scheme }: { scheme: "light" | "dark" }) {
  const t = useT();
  return (
    <div style={{ colorScheme: scheme }} className="flex min-w-0 flex-col gap-8 rounded-lk border border-border bg-bg p-4 text-fg" data-scheme={scheme}>
      <h2 className="text-lg font-semibold">{t(scheme === "light" ? "devComponents.light" : "devComponents.dark")}</h2>
      <Specimen title={t("devComponents.signIn")}>
        <SignInSample />
      </Specimen>
      <Specimen title={t("devComponents.signInErrors")}>
        <SignInSample withErrors />
      </Specimen>
      <Specimen title={t("devComponents.appearance")}>
        <div data-specimen="custom-appearance">
          <SignInSample appearance={customAppearance} />
        </div>
      </Specimen>
      <Specimen title={t("devComponents.buttons")}>
        <div className="flex flex-wrap gap-2">
          <Button type="button">{t("devComponents.primary")}</Button>
          <Button type="button" variant="secondary">
            {t("devComponents.secondary")}
          </Button>
          <Button type="button" variant="danger">
            {t("devComponents.danger")}
          </Button>
          <Button type="button" pending>
            {t("devComponents.primary")}
          </Button>
        </div>
      </Specimen>
      <Specimen title={t("devComponents.menus")}>
        <div className="flex items-center justify-end gap-3 pb-4">
          <OrganizationSwitcher session={sampleSession} />
          <UserButton user={sampleSession.user} />
        </div>
      </Specimen>
      <Specimen title={t("devComponents.customMenu")}>
        <CustomMenuSample />
      </Specimen>
    </div>
  );
}

export default function ComponentGallery() {
  const t = useT();
  return (
    <div className="flex flex-col gap-6">
      <h1 className="text-2xl font-semibold">{t("devComponents.title")}</h1>
      <p className="text-muted">{t("devComponents.lead")}</p>
      <div className="grid gap-6 lg:grid-cols-2">
        <Column scheme="light" />
        <Column scheme="dark" />
      </div>
    </div>
  );
}
