/**
 * What a session's stored User-Agent header says about the device, for the "devices" list: browser (with its major
 * version), operating system (with version) and the kind of device. Parsed by `ua-parser-js` v1 (MIT; v2 changed to AGPL-3.0); anything it can't
 * place (curl, scripts, an empty or absent header) comes back as nulls, so the page shows "Unknown" instead of guessing.
 */
import { UAParser } from "ua-parser-js";

export interface DeviceDescription {
  /** "Chrome", "Mobile Safari", "Firefox", "Edge", … or null when unknown. */
  browser: string | null;
  /** The browser's major version ("120"), or null. */
  browserVersion: string | null;
  /** "Windows", "iOS", "Linux", "macOS", "Android", … or null when unknown. */
  os: string | null;
  /** "10", "17.1", … or null. */
  osVersion: string | null;
  /** "mobile", "tablet" or "desktop" (the parser names no type for desktops); null when nothing is known. */
  deviceType: "mobile" | "tablet" | "desktop" | null;
}

/** Headers longer than this are not parsed (the session row keeps at most 512 characters anyway). */
const MAX_LENGTH = 512;

const unknown: DeviceDescription = { browser: null, browserVersion: null, os: null, osVersion: null, deviceType: null };

const clean = (value: string | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, 64) : null;
};

export function describeUserAgent(userAgent: string | null | undefined): DeviceDescription {
  if (typeof userAgent !== "string" || userAgent.trim() === "") return { ...unknown };
  const result = UAParser(userAgent.slice(0, MAX_LENGTH));
  const browser = clean(result.browser.name);
  // v1 says "Mac OS"; the name Apple uses (and v2 reports) is "macOS".
  const osName = clean(result.os.name);
  const os = osName === "Mac OS" ? "macOS" : osName;
  const type = result.device.type;
  const deviceType = type === "mobile" || type === "tablet" ? type : browser || os ? "desktop" : null;
  return {
    browser,
    browserVersion: browser ? clean(result.browser.major ?? result.browser.version) : null,
    os,
    osVersion: os ? clean(result.os.version) : null,
    deviceType,
  };
}
