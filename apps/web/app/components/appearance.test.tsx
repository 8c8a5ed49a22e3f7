import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, test } from "vitest";
import { I18nProvider } from "~/i18n/react";
import { enUS } from "~/i18n/en-US";
import { Button } from "./button";
import { FormPage } from "./form-page";
import { LatchkeyProvider } from "./latchkey-provider";
import { OAuthButtons } from "./oauth-buttons";
import { TextField } from "./text-field";

function render(node: React.ReactNode): string {
  return renderToStaticMarkup(
    <I18nProvider locale="en-US" messages={enUS}>
      {node}
    </I18nProvider>,
  );
}

const providers = [{ id: "github", label: "GitHub" }];

describe("appearance in server rendering", () => {
  test("the provider's elements reach the card, title, labels, inputs and the primary button", () => {
    const html = render(
      <LatchkeyProvider appearance={{ elements: { card: "app-card", headerTitle: "app-title", formFieldLabel: "app-label", formFieldInput: "app-input", formButtonPrimary: { letterSpacing: "1px" } } }}>
        <FormPage title="Sign in" subtitle="to continue to Latchkey">
          <TextField label="Email address" name="email" />
          <Button>Continue</Button>
        </FormPage>
      </LatchkeyProvider>,
    );
    expect(html).toMatch(/<section[^>]*class="[^"]*app-card"/);
    expect(html).toMatch(/<h1[^>]*class="[^"]*app-title"[^>]*>Sign in<\/h1>/);
    expect(html).toMatch(/<label[^>]*class="[^"]*app-label"/);
    expect(html).toMatch(/<input[^>]*class="[^"]*app-input"/);
    expect(html).toMatch(/<button[^>]*style="letter-spacing:1px"/);
    expect(html).toContain(">to continue to Latchkey</p>");
  });

  test("a component's appearance prop overrides the provider's and scopes its variables to that component", () => {
    const html = render(
      <LatchkeyProvider appearance={{ elements: { card: "app-card" } }}>
        <FormPage title="Sign in" appearance={{ variables: { colorPrimary: "#e11d48" }, elements: { card: "own-card" } }}>
          <p>body</p>
        </FormPage>
      </LatchkeyProvider>,
    );
    expect(html).toMatch(/<div data-lk-appearance="" class="contents" style="--lk-primary:#e11d48;--lk-focus:#e11d48;--lk-primary-hover:[^"]*">/);
    expect(html).toMatch(/<section[^>]*class="[^"]*own-card"/);
    expect(html).not.toContain("app-card");
  });

  test("a logo image replaces the app name when layout.logoImageUrl is set", () => {
    const html = render(
      <FormPage title="Sign in" appearance={{ layout: { logoImageUrl: "/logo.svg" } }}>
        <p>body</p>
      </FormPage>,
    );
    expect(html).toContain('<img src="/logo.svg" alt="Latchkey"');
  });

  test("social buttons put the divider between them and the form, on whichever side they are placed", () => {
    const bottom = render(<OAuthButtons providers={providers} redirectUrl="/" />);
    const top = render(<OAuthButtons providers={providers} redirectUrl="/" placement="top" />);
    expect(bottom.indexOf(">or</p>")).toBeLessThan(bottom.indexOf("Continue with GitHub"));
    expect(top.indexOf(">or</p>")).toBeGreaterThan(top.indexOf("Continue with GitHub"));
    expect(top).toContain('data-placement="top"');
  });

  test("links and connects show no divider", () => {
    expect(render(<OAuthButtons providers={providers} redirectUrl="/user" intent="link" />)).not.toContain(">or</p>");
  });
});
