import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, test } from "vitest";
import { I18nProvider } from "~/i18n/react";
import { plPL } from "~/i18n/pl-PL";
import { Button } from "./button";
import { FormError } from "./form-error";
import { TextField } from "./text-field";

function parse(html: string): { attr(tag: string, name: string): string | undefined } {
  return {
    attr(tag, name) {
      const element = new RegExp(`<${tag}\\b[^>]*>`).exec(html)?.[0] ?? "";
      return new RegExp(`\\s${name}="([^"]*)"`).exec(element)?.[1];
    },
  };
}

describe("TextField", () => {
  test("its visible label is tied to the input", () => {
    const html = renderToStaticMarkup(<TextField label="Email address" name="email" type="email" />);
    const doc = parse(html);
    expect(html).toContain(">Email address</label>");
    expect(doc.attr("label", "for")).toBe(doc.attr("input", "id"));
    expect(doc.attr("input", "aria-invalid")).toBeUndefined();
    expect(doc.attr("input", "aria-describedby")).toBeUndefined();
  });

  test("an error marks the input invalid, is described by it and is announced", () => {
    const html = renderToStaticMarkup(<TextField label="Password" name="password" error="Too short" />);
    const doc = parse(html);
    expect(doc.attr("input", "aria-invalid")).toBe("true");
    const errorId = doc.attr("input", "aria-describedby");
    expect(errorId).toBeTruthy();
    expect(html).toMatch(new RegExp(`<p id="${errorId}" role="alert"[^>]*>Too short</p>`));
  });

  test("a description and an error are both referenced", () => {
    const html = renderToStaticMarkup(<TextField label="Slug" name="slug" description="Lowercase" error="Taken" />);
    expect(parse(html).attr("input", "aria-describedby")?.split(" ")).toHaveLength(2);
  });
});

describe("Button", () => {
  test("shows its text and is a submit button by default", () => {
    const html = renderToStaticMarkup(<Button>Sign in</Button>);
    expect(html).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    expect(parse(html).attr("button", "aria-busy")).toBeUndefined();
  });

  test("while pending it is busy and says so in the page's language", () => {
    const html = renderToStaticMarkup(
      <I18nProvider locale="pl-PL" messages={plPL}>
        <Button pending>Zaloguj się</Button>
      </I18nProvider>,
    );
    expect(parse(html).attr("button", "aria-busy")).toBe("true");
    expect(html).toContain(">Przetwarzanie…</button>");
  });

  test("a custom pending label replaces the default one", () => {
    const html = renderToStaticMarkup(
      <Button pending pendingLabel="Signing in…">
        Sign in
      </Button>,
    );
    expect(html).toContain(">Signing in…</button>");
  });
});

describe("FormError", () => {
  test("renders nothing without a message and an alert with one", () => {
    expect(renderToStaticMarkup(<FormError />)).toBe("");
    expect(renderToStaticMarkup(<FormError>Wrong</FormError>)).toMatch(/role="alert"[^>]*>Wrong</);
  });
});
