// saml: the ACS and metadata routes, run as the server would against an in-memory database.
import { describe, expect, test } from "vitest";
import { createRouteHarness, APP_URL } from "~/test/route-harness";
import { action as acs } from "./sign-in_.saml.$connectionId.acs";
import { loader as metadata } from "./sign-in_.saml.$connectionId.metadata";

const harness = createRouteHarness();

function postAcs(connectionId: string, body: BodyInit, headers: Record<string, string> = {}) {
  return new Request(`${APP_URL}/sign-in/saml/${connectionId}/acs`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
}

describe("SAML routes", () => {
  test("a response for an unknown connection goes to the error page, not a 500", async () => {
    const response = await harness.run(acs, postAcs("saml_unknown", new URLSearchParams({ SAMLResponse: "PHg+PC94Pg==" })), { connectionId: "saml_unknown" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/sign-in/oauth/error?reason=OAUTH_UNKNOWN_PROVIDER&back=%2Fsign-in");
  });

  test("a body over the size limit is refused before it is read", async () => {
    const huge = `SAMLResponse=${"A".repeat(600 * 1024)}`;
    const response = await harness.run(acs, postAcs("saml_unknown", huge, { "content-length": String(huge.length) }), { connectionId: "saml_unknown" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toContain("/sign-in/oauth/error?reason=");
  });

  test("metadata of an unknown connection is a 404, never a 500", async () => {
    const response = (await metadata({
      request: new Request(`${APP_URL}/sign-in/saml/saml_nothing/metadata`),
      params: { connectionId: "saml_nothing" },
      context: {},
    } as never)) as Response;
    expect(response.status).toBe(404);
  });
});
