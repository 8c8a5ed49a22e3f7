/**
 * `/admin/settings`: the instance settings, in sections (sign-up, sign-in methods, sessions, security,
 * organizations), each its own plain form with a hidden `intent` and its own save button, so it works without
 * JavaScript and a mistake in one section never touches another. Everything is checked by `instanceSettings.update`
 * (the page only turns the form into a patch); a change applies on the next request. After a save the action
 * redirects back with `?done=<section>`.
 */
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useId, type ReactNode } from "react";
import { ApiError, getFieldErrors, type InstanceSettings } from "@latchkey/api";
import { Button } from "~/components/button";
import { DoneNotice } from "~/components/done-notice";
import { FormError } from "~/components/form-error";
import { useFormMessage } from "~/components/form-message";
import { TextField } from "~/components/text-field";
import type { MessageKey } from "~/i18n/dictionary";
import { metaT } from "~/i18n/meta";
import { useT } from "~/i18n/react";
import type { I18nHandle } from "~/i18n/namespaces";
import { getAuthHeaders, getCaller, requireAuth } from "~/lib/auth.server";
import { doneFlags } from "~/lib/done-flags.server";
import { formErrorResponse, isFormError } from "~/lib/form-errors.server";
import type { FormMessage } from "~/lib/form-message";
import { formRouteHeaders } from "~/lib/route-headers";
import { readFormData } from "~/lib/form-data.server";

export const headers = formRouteHeaders;

export const handle = { i18n: ["adminSettings"] } satisfies I18nHandle;

export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("adminSettings.title") }];

const PAGE = "/admin/settings";
const sectionIntents = ["signUp", "signInMethods", "sessions", "security", "organizations", "botProtection"] as const;
type Intent = (typeof sectionIntents)[number];

const done = doneFlags(PAGE, {
  signUp: "adminSettings.done.signUp",
  signInMethods: "adminSettings.done.signInMethods",
  sessions: "adminSettings.done.sessions",
  security: "adminSettings.done.security",
  organizations: "adminSettings.done.organizations",
  botProtection: "adminSettings.done.botProtection",
});

// The choices, spelled out here: importing values from @latchkey/api would put the server's code in the browser bundle.
const signUpModes = ["public", "invite_only", "waitlist"] as const satisfies readonly InstanceSettings["signUpMode"][];
const signUpFieldModes = ["hidden", "optional", "required"] as const satisfies readonly InstanceSettings["signUpFields"]["username"][];
const signInMethodKeys = ["password", "emailCode", "emailLink", "passkey", "oauth"] as const;
const signUpFieldKeys = ["username", "firstName", "lastName", "phone"] as const;
const botProtectionModes = ["off", "always", "near_limit"] as const satisfies readonly InstanceSettings["botProtection"]["mode"][];

/** Lifetimes are edited as a number and a unit; stored in minutes. */
const units = { minutes: 1, hours: 60, days: 24 * 60 } as const;
type Unit = keyof typeof units;

/** The largest unit that expresses `minutes` exactly (7 days, not 10080 minutes). */
function splitMinutes(minutes: number): { value: number; unit: Unit } {
  if (minutes % units.days === 0) return { value: minutes / units.days, unit: "days" };
  if (minutes % units.hours === 0) return { value: minutes / units.hours, unit: "hours" };
  return { value: minutes, unit: "minutes" };
}

/** A whole number from a form field; anything else becomes NaN, which the API refuses naming the field. */
function wholeNumber(raw: FormDataEntryValue | null): number {
  const text = String(raw ?? "").trim();
  return /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
}

function lines(raw: FormDataEntryValue | null): string[] {
  return String(raw ?? "")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** The form of one section as a settings patch (unchecked checkboxes are absent from a form post: false). */
function patchFrom(intent: Intent, form: FormData): Partial<InstanceSettings> {
  const checked = (name: string) => form.get(name) === "on";
  switch (intent) {
    case "signUp":
      return {
        signUpMode: String(form.get("signUpMode") ?? "") as InstanceSettings["signUpMode"],
        allowlist: lines(form.get("allowlist")),
        blocklist: lines(form.get("blocklist")),
        signUpFields: Object.fromEntries(signUpFieldKeys.map((key) => [key, String(form.get(`signUpFields.${key}`) ?? "")])) as InstanceSettings["signUpFields"],
        requireEmailVerification: checked("requireEmailVerification"),
      };
    case "signInMethods":
      return { signInMethods: Object.fromEntries(signInMethodKeys.map((key) => [key, checked(`signInMethods.${key}`)])) as InstanceSettings["signInMethods"] };
    case "sessions": {
      const minutes = (name: string) => {
        const unit = String(form.get(`${name}Unit`) ?? "minutes");
        const factor = Object.hasOwn(units, unit) ? units[unit as Unit] : Number.NaN;
        return wholeNumber(form.get(`${name}Value`)) * factor;
      };
      return { sessionIdleMinutes: minutes("sessionIdle"), sessionLifetimeMinutes: minutes("sessionLifetime") };
    }
    case "security":
      return { requireMfa: checked("requireMfa"), minPasswordLength: wholeNumber(form.get("minPasswordLength")) };
    case "organizations": {
      const raw = String(form.get("maxMembershipsPerOrganization") ?? "").trim();
      return { maxMembershipsPerOrganization: raw === "" ? null : wholeNumber(raw) };
    }
    case "botProtection":
      return {
        botProtection: {
          mode: String(form.get("botProtection.mode") ?? "") as InstanceSettings["botProtection"]["mode"],
          blockDisposableEmails: checked("botProtection.blockDisposableEmails"),
        },
      };
  }
}

/** A message per form field, from the API's field paths (`allowlist.2` → the allowlist, line 3). */
function fieldMessages(error: unknown): Record<string, FormMessage> {
  const out: Record<string, FormMessage> = {};
  for (const path of Object.keys(getFieldErrors(error) ?? {})) {
    const [top = "", index] = path.split(".");
    let field = top;
    let message: FormMessage;
    switch (top) {
      case "allowlist":
      case "blocklist":
        message = index !== undefined && /^\d+$/.test(index) ? { key: "adminSettings.errors.listEntry", vars: { line: Number(index) + 1 } } : { key: "adminSettings.errors.list" };
        break;
      case "sessionIdleMinutes":
      case "sessionLifetimeMinutes":
        message = { key: "adminSettings.errors.lifetime" };
        break;
      case "signInMethods":
        field = "signInMethods";
        message = { key: "adminSettings.errors.noSignInMethod" };
        break;
      case "minPasswordLength":
        message = { key: "adminSettings.errors.minPasswordLength" };
        break;
      case "maxMembershipsPerOrganization":
        message = { key: "adminSettings.errors.membershipLimit" };
        break;
      case "signUpFields":
        field = index ? `signUpFields.${index}` : top;
        message = { key: "adminSettings.errors.choose" };
        break;
      default:
        message = { key: "adminSettings.errors.choose" };
    }
    out[field] ??= message;
  }
  return out;
}

export async function loader(args: LoaderFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const caller = await getCaller(args);
  return { settings: await caller.instanceSettings.get(), done: done.read(args.request) };
}

export async function action(args: ActionFunctionArgs) {
  await requireAuth(args, { instanceAdmin: true });
  const form = await readFormData(args.request);
  const rawIntent = String(form.get("intent") ?? "");
  const values = Object.fromEntries([...form.keys()].map((key) => [key, form.getAll(key).map(String).join("\n")]));
  if (!(sectionIntents as readonly string[]).includes(rawIntent)) {
    return data({ intent: rawIntent, values, fieldErrors: {} as Record<string, FormMessage>, formError: { key: "common.error" } as FormMessage | null }, { status: 400 });
  }
  const intent = rawIntent as Intent;
  const caller = await getCaller(args);
  try {
    await caller.instanceSettings.update(patchFrom(intent, form));
  } catch (error) {
    if (error instanceof ApiError && error.code === "BAD_REQUEST") {
      const fieldErrors = fieldMessages(error);
      const formError: FormMessage | null = Object.keys(fieldErrors).length === 0 ? { key: "common.error" } : null;
      return data({ intent, values, fieldErrors, formError }, { status: 400, headers: await getAuthHeaders(args) });
    }
    if (!isFormError(error)) throw error;
    return formErrorResponse(args, error, { intent, values });
  }
  return done.back(args, intent);
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;

export default function AdminSettings() {
  const t = useT();
  const { settings, done: doneMessage } = useLoaderData<typeof loader>();
  return (
    <div className="flex flex-col gap-10">
      <div className="flex flex-col gap-2">
        <h2 className="text-xl font-semibold">{t("adminSettings.title")}</h2>
        <p className="text-muted">{t("adminSettings.lead")}</p>
        <DoneNotice message={doneMessage} />
      </div>
      <SignUpSection settings={settings} />
      <SignInMethodsSection settings={settings} />
      <SessionsSection settings={settings} />
      <SecuritySection settings={settings} />
      <OrganizationsSection settings={settings} />
      <BotProtectionSection settings={settings} />
    </div>
  );
}

/** This section's failed post, if the last answer was one: its values are shown again with the errors. */
function useSectionResult(intent: Intent) {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const mine = result && "intent" in result && result.intent === intent ? result : null;
  const pending = navigation.state === "submitting" && navigation.formData?.get("intent") === intent;
  const value = (name: string, fallback: string) => (mine?.values && name in mine.values ? String(mine.values[name]) : mine ? "" : fallback);
  return { failed: mine, pending, value };
}

function Section({ intent, title, lead, children, saveLabel }: { intent: Intent; title: MessageKey; lead?: MessageKey; children: ReactNode; saveLabel: MessageKey }) {
  const t = useT();
  const message = useFormMessage();
  const headingId = useId();
  const { failed, pending } = useSectionResult(intent);
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-4 border-t border-border pt-6">
      <h3 id={headingId} className="text-lg font-semibold">
        {t(title)}
      </h3>
      {lead ? <p className="text-sm text-muted">{t(lead)}</p> : null}
      <Form method="post" className="flex max-w-2xl flex-col gap-4" noValidate>
        <input type="hidden" name="intent" value={intent} />
        <FormError>{message(failed?.formError)}</FormError>
        {children}
        <Button pending={pending} className="self-start">
          {t(saveLabel)}
        </Button>
      </Form>
    </section>
  );
}

function FieldError({ id, error }: { id: string; error: string | null }) {
  if (!error) return null;
  return (
    <p id={id} role="alert" className="text-sm text-danger">
      {error}
    </p>
  );
}

function Checkbox({ name, label, hint, defaultChecked }: { name: string; label: string; hint?: string; defaultChecked: boolean }) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <div className="flex items-center gap-2">
        <input id={id} type="checkbox" name={name} defaultChecked={defaultChecked} aria-describedby={hint ? `${id}-hint` : undefined} />
        <label htmlFor={id} className="text-sm font-medium">
          {label}
        </label>
      </div>
      {hint ? (
        <p id={`${id}-hint`} className="text-sm text-muted">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

function TextArea({ name, label, hint, defaultValue, error }: { name: string; label: string; hint: string; defaultValue: string; error: string | null }) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      <p id={`${id}-hint`} className="text-sm text-muted">
        {hint}
      </p>
      <textarea
        id={id}
        name={name}
        rows={4}
        defaultValue={defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={[`${id}-hint`, error ? `${id}-error` : null].filter(Boolean).join(" ")}
        className="rounded-lk border border-border bg-bg px-3 py-2 font-mono text-sm text-fg aria-[invalid=true]:border-danger"
      />
      <FieldError id={`${id}-error`} error={error} />
    </div>
  );
}

function SignUpSection({ settings }: { settings: LoaderData["settings"] }) {
  const t = useT();
  const message = useFormMessage();
  const { failed, value } = useSectionResult("signUp");
  const modeError = message(failed?.fieldErrors.signUpMode);
  const currentMode = value("signUpMode", settings.signUpMode);
  const checked = (name: string, fallback: boolean) => (failed ? failed.values[name] === "on" : fallback);
  const modeLabels: Record<(typeof signUpModes)[number], MessageKey> = {
    public: "adminSettings.signUp.mode.public",
    invite_only: "adminSettings.signUp.mode.inviteOnly",
    waitlist: "adminSettings.signUp.mode.waitlist",
  };
  const fieldLabels: Record<(typeof signUpFieldKeys)[number], MessageKey> = {
    username: "adminSettings.signUp.fields.username",
    firstName: "adminSettings.signUp.fields.firstName",
    lastName: "adminSettings.signUp.fields.lastName",
    phone: "adminSettings.signUp.fields.phone",
  };
  const modeOptionLabels: Record<(typeof signUpFieldModes)[number], MessageKey> = {
    hidden: "adminSettings.signUp.fields.hidden",
    optional: "adminSettings.signUp.fields.optional",
    required: "adminSettings.signUp.fields.required",
  };
  return (
    <Section intent="signUp" title="adminSettings.signUp.title" saveLabel="adminSettings.signUp.save">
      <fieldset className="flex flex-col gap-1" aria-describedby={modeError ? "signUpMode-error" : undefined}>
        <legend className="text-sm font-medium">{t("adminSettings.signUp.mode.label")}</legend>
        {signUpModes.map((mode) => (
          <label key={mode} className="flex items-center gap-2 text-sm">
            <input type="radio" name="signUpMode" value={mode} defaultChecked={currentMode === mode} />
            {t(modeLabels[mode])}
          </label>
        ))}
        <FieldError id="signUpMode-error" error={modeError} />
      </fieldset>
      <TextArea
        name="allowlist"
        label={t("adminSettings.signUp.allowlist")}
        hint={t("adminSettings.signUp.allowlistHint")}
        defaultValue={value("allowlist", settings.allowlist.join("\n"))}
        error={message(failed?.fieldErrors.allowlist)}
      />
      <TextArea
        name="blocklist"
        label={t("adminSettings.signUp.blocklist")}
        hint={t("adminSettings.signUp.blocklistHint")}
        defaultValue={value("blocklist", settings.blocklist.join("\n"))}
        error={message(failed?.fieldErrors.blocklist)}
      />
      <fieldset className="flex flex-col gap-2">
        <legend className="text-sm font-medium">{t("adminSettings.signUp.fields.label")}</legend>
        {signUpFieldKeys.map((key) => (
          <SelectField
            key={key}
            name={`signUpFields.${key}`}
            label={t(fieldLabels[key])}
            defaultValue={value(`signUpFields.${key}`, settings.signUpFields[key])}
            options={signUpFieldModes.map((mode) => ({ value: mode, label: t(modeOptionLabels[mode]) }))}
            error={message(failed?.fieldErrors[`signUpFields.${key}`])}
          />
        ))}
      </fieldset>
      <Checkbox
        name="requireEmailVerification"
        label={t("adminSettings.signUp.requireEmailVerification")}
        hint={t("adminSettings.signUp.requireEmailVerificationHint")}
        defaultChecked={checked("requireEmailVerification", settings.requireEmailVerification)}
      />
    </Section>
  );
}

function SelectField({ name, label, defaultValue, options, error }: { name: string; label: string; defaultValue: string; options: { value: string; label: string }[]; error: string | null }) {
  const id = useId();
  return (
    <div className="flex flex-wrap items-center gap-2">
      <label htmlFor={id} className="w-40 text-sm">
        {label}
      </label>
      <select
        id={id}
        name={name}
        defaultValue={defaultValue}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className="min-h-10 rounded-lk border border-border bg-bg px-2 text-fg"
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <FieldError id={`${id}-error`} error={error} />
    </div>
  );
}

function SignInMethodsSection({ settings }: { settings: LoaderData["settings"] }) {
  const t = useT();
  const message = useFormMessage();
  const { failed } = useSectionResult("signInMethods");
  const labels: Record<(typeof signInMethodKeys)[number], MessageKey> = {
    password: "adminSettings.signIn.password",
    emailCode: "adminSettings.signIn.emailCode",
    emailLink: "adminSettings.signIn.emailLink",
    passkey: "adminSettings.signIn.passkey",
    oauth: "adminSettings.signIn.oauth",
  };
  const error = message(failed?.fieldErrors.signInMethods);
  return (
    <Section intent="signInMethods" title="adminSettings.signIn.title" lead="adminSettings.signIn.lead" saveLabel="adminSettings.signIn.save">
      <fieldset className="flex flex-col gap-2" aria-describedby={error ? "signInMethods-error" : undefined}>
        <legend className="text-sm font-medium">{t("adminSettings.signIn.legend")}</legend>
        {signInMethodKeys.map((key) => (
          <Checkbox
            key={key}
            name={`signInMethods.${key}`}
            label={t(labels[key])}
            defaultChecked={failed ? failed.values[`signInMethods.${key}`] === "on" : settings.signInMethods[key]}
          />
        ))}
        <FieldError id="signInMethods-error" error={error} />
      </fieldset>
    </Section>
  );
}

function DurationField({ name, label, minutes }: { name: "sessionIdle" | "sessionLifetime"; label: string; minutes: number }) {
  const t = useT();
  const message = useFormMessage();
  const id = useId();
  const { failed, value } = useSectionResult("sessions");
  const split = splitMinutes(minutes);
  const error = message(failed?.fieldErrors[`${name}Minutes`]);
  const unitLabels: Record<Unit, MessageKey> = { minutes: "adminSettings.units.minutes", hours: "adminSettings.units.hours", days: "adminSettings.units.days" };
  return (
    <div className="flex flex-col gap-1">
      <div className="flex flex-wrap items-end gap-2">
        <div className="flex flex-col gap-1">
          <label htmlFor={id} className="text-sm font-medium">
            {label}
          </label>
          <input
            id={id}
            name={`${name}Value`}
            type="number"
            inputMode="numeric"
            min={1}
            defaultValue={value(`${name}Value`, String(split.value))}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            className="min-h-10 w-32 rounded-lk border border-border bg-bg px-3 py-2 text-fg aria-[invalid=true]:border-danger"
          />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor={`${id}-unit`} className="text-sm font-medium">
            {t("adminSettings.units.label")}
          </label>
          <select id={`${id}-unit`} name={`${name}Unit`} defaultValue={value(`${name}Unit`, split.unit)} className="min-h-10 rounded-lk border border-border bg-bg px-2 text-fg">
            {(Object.keys(units) as Unit[]).map((unit) => (
              <option key={unit} value={unit}>
                {t(unitLabels[unit])}
              </option>
            ))}
          </select>
        </div>
      </div>
      <FieldError id={`${id}-error`} error={error} />
    </div>
  );
}

/** "7 d", "1 h 30 min": the effective values, next to the inputs. */
function useDuration() {
  const t = useT();
  return (minutes: number) => {
    const parts: string[] = [];
    const days = Math.floor(minutes / units.days);
    const hours = Math.floor((minutes % units.days) / units.hours);
    const rest = minutes % units.hours;
    if (days) parts.push(t("adminSettings.units.dayShort", { n: days }));
    if (hours) parts.push(t("adminSettings.units.hourShort", { n: hours }));
    if (rest || parts.length === 0) parts.push(t("adminSettings.units.minuteShort", { n: rest }));
    return parts.join(" ");
  };
}

function SessionsSection({ settings }: { settings: LoaderData["settings"] }) {
  const t = useT();
  const duration = useDuration();
  return (
    <Section intent="sessions" title="adminSettings.sessions.title" lead="adminSettings.sessions.lead" saveLabel="adminSettings.sessions.save">
      <p className="text-sm" data-testid="sessions-effective">
        {t("adminSettings.sessions.effective", { idle: duration(settings.sessionIdleMinutes), absolute: duration(settings.sessionLifetimeMinutes) })}
      </p>
      <DurationField name="sessionIdle" label={t("adminSettings.sessions.idle")} minutes={settings.sessionIdleMinutes} />
      <DurationField name="sessionLifetime" label={t("adminSettings.sessions.absolute")} minutes={settings.sessionLifetimeMinutes} />
    </Section>
  );
}

function SecuritySection({ settings }: { settings: LoaderData["settings"] }) {
  const t = useT();
  const message = useFormMessage();
  const { failed, value } = useSectionResult("security");
  return (
    <Section intent="security" title="adminSettings.security.title" saveLabel="adminSettings.security.save">
      <Checkbox
        name="requireMfa"
        label={t("adminSettings.security.requireMfa")}
        hint={t("adminSettings.security.requireMfaHint")}
        defaultChecked={failed ? failed.values.requireMfa === "on" : settings.requireMfa}
      />
      <TextField
        label={t("adminSettings.security.minPasswordLength")}
        description={t("adminSettings.security.minPasswordLengthHint")}
        name="minPasswordLength"
        type="number"
        inputMode="numeric"
        min={8}
        max={256}
        defaultValue={value("minPasswordLength", String(settings.minPasswordLength))}
        error={message(failed?.fieldErrors.minPasswordLength)}
        className="max-w-xs"
      />
    </Section>
  );
}

function OrganizationsSection({ settings }: { settings: LoaderData["settings"] }) {
  const t = useT();
  const message = useFormMessage();
  const { failed, value } = useSectionResult("organizations");
  return (
    <Section intent="organizations" title="adminSettings.organizations.title" saveLabel="adminSettings.organizations.save">
      <TextField
        label={t("adminSettings.organizations.membershipLimit")}
        description={t("adminSettings.organizations.membershipLimitHint")}
        name="maxMembershipsPerOrganization"
        type="number"
        inputMode="numeric"
        min={1}
        defaultValue={value("maxMembershipsPerOrganization", settings.maxMembershipsPerOrganization === null ? "" : String(settings.maxMembershipsPerOrganization))}
        error={message(failed?.fieldErrors.maxMembershipsPerOrganization)}
        className="max-w-xs"
      />
    </Section>
  );
}

/** Bot protection (ADR 027): when sign-up, sign-in, the waitlist and password reset ask for a proof of work. */
function BotProtectionSection({ settings }: { settings: LoaderData["settings"] }) {
  const t = useT();
  const message = useFormMessage();
  const { failed } = useSectionResult("botProtection");
  const labels: Record<(typeof botProtectionModes)[number], MessageKey> = {
    off: "adminSettings.botProtection.off",
    always: "adminSettings.botProtection.always",
    near_limit: "adminSettings.botProtection.nearLimit",
  };
  return (
    <Section intent="botProtection" title="adminSettings.botProtection.title" lead="adminSettings.botProtection.lead" saveLabel="adminSettings.botProtection.save">
      <SelectField
        name="botProtection.mode"
        label={t("adminSettings.botProtection.mode")}
        defaultValue={failed ? String(failed.values["botProtection.mode"] ?? "") : settings.botProtection.mode}
        options={botProtectionModes.map((mode) => ({ value: mode, label: t(labels[mode]) }))}
        error={message(failed?.fieldErrors.botProtection)}
      />
      <Checkbox
        name="botProtection.blockDisposableEmails"
        label={t("adminSettings.botProtection.blockDisposable")}
        hint={t("adminSettings.botProtection.blockDisposableHint")}
        defaultChecked={failed ? failed.values["botProtection.blockDisposableEmails"] === "on" : settings.botProtection.blockDisposableEmails}
      />
    </Section>
  );
}
