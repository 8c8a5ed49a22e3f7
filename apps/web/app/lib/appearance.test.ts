import { describe, expect, test } from "vitest";
import { elementProps, mergeAppearance, variablesToStyle } from "./appearance";

describe("appearance", () => {
  test("variables become the --lk-* custom properties the stylesheet reads", () => {
    expect(variablesToStyle({ colorPrimary: "#e11d48", borderRadius: "1rem", colorInputBackground: "#fafafa", fontSize: "18px" })).toEqual({
      "--lk-primary": "#e11d48",
      "--lk-focus": "#e11d48",
      "--lk-primary-hover": "color-mix(in srgb, #e11d48 85%, black)",
      "--lk-radius": "1rem",
      "--lk-input-bg": "#fafafa",
      "--lk-font-size": "18px",
    });
  });

  test("a value that could end its declaration or open a rule is left out", () => {
    expect(variablesToStyle({ colorPrimary: "red; background: url(x)", colorText: "}body{", colorDanger: "#b91c1c" })).toEqual({ "--lk-danger": "#b91c1c" });
  });

  test("a component's appearance overrides the provider's key by key", () => {
    const merged = mergeAppearance(
      { baseTheme: "dark", variables: { colorPrimary: "#111", borderRadius: "2px" }, elements: { card: "global-card", headerTitle: "t" }, layout: { socialButtonsPlacement: "bottom" } },
      { variables: { colorPrimary: "#222" }, elements: { card: "local-card" }, layout: { socialButtonsPlacement: "top" } },
      undefined,
    );
    expect(merged).toEqual({
      baseTheme: "dark",
      variables: { colorPrimary: "#222", borderRadius: "2px" },
      elements: { card: "local-card", headerTitle: "t" },
      layout: { socialButtonsPlacement: "top" },
    });
  });

  test("an element takes a class name beside the component's own, or a style object", () => {
    expect(elementProps({ elements: { card: "my-card" } }, "card", "rounded")).toEqual({ className: "rounded my-card" });
    expect(elementProps({ elements: { card: { boxShadow: "none" } } }, "card", "rounded")).toEqual({ className: "rounded", style: { boxShadow: "none" } });
    expect(elementProps({}, "card", "rounded")).toEqual({ className: "rounded" });
  });
});
