import { describe, expect, it } from "vitest";
import { describeUserAgent } from "./user-agent.ts";

// Real User-Agent headers, as the browsers send them.
const chromeOnWindows =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const safariOnIphone =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1";
const firefoxOnLinux = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const edgeOnWindows =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91";
const safariOnMac =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15";
const chromeOnAndroidTablet =
  "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36";

describe("describeUserAgent", () => {
  it("reads Chrome on Windows", () => {
    expect(describeUserAgent(chromeOnWindows)).toEqual({ browser: "Chrome", browserVersion: "120", os: "Windows", osVersion: "10", deviceType: "desktop" });
  });

  it("reads Safari on an iPhone as a mobile device", () => {
    expect(describeUserAgent(safariOnIphone)).toEqual({ browser: "Mobile Safari", browserVersion: "17", os: "iOS", osVersion: "17.1.2", deviceType: "mobile" });
  });

  it("reads Firefox on Linux", () => {
    expect(describeUserAgent(firefoxOnLinux)).toMatchObject({ browser: "Firefox", browserVersion: "121", os: "Ubuntu", deviceType: "desktop" });
  });

  it("tells Edge apart from the Chrome it is built on", () => {
    expect(describeUserAgent(edgeOnWindows)).toMatchObject({ browser: "Edge", browserVersion: "120", os: "Windows" });
  });

  it("reads Safari on a Mac as macOS", () => {
    expect(describeUserAgent(safariOnMac)).toMatchObject({ browser: "Safari", browserVersion: "17", os: "macOS", osVersion: "10.15.7" });
  });

  it("reads an Android tablet", () => {
    expect(describeUserAgent(chromeOnAndroidTablet)).toMatchObject({ browser: "Chrome", os: "Android", osVersion: "13", deviceType: "tablet" });
  });

  it("names nothing it cannot place: curl, scripts, empty or missing headers", () => {
    const nothing = { browser: null, browserVersion: null, os: null, osVersion: null, deviceType: null };
    expect(describeUserAgent("curl/8.4.0")).toEqual(nothing);
    expect(describeUserAgent("vitest")).toEqual(nothing);
    expect(describeUserAgent("")).toEqual(nothing);
    expect(describeUserAgent("   ")).toEqual(nothing);
    expect(describeUserAgent(null)).toEqual(nothing);
    expect(describeUserAgent(undefined)).toEqual(nothing);
  });

  it("stays quick and bounded on a huge or hostile header", () => {
    const started = performance.now();
    const result = describeUserAgent(`${chromeOnWindows} ${"(".repeat(100_000)}`);
    expect(performance.now() - started).toBeLessThan(500);
    expect(result.browser).toBe("Chrome");
    for (const value of Object.values(describeUserAgent(`Mozilla/5.0 ${"x".repeat(5000)}`))) {
      expect(value === null || value.length <= 64).toBe(true);
    }
  });
});
