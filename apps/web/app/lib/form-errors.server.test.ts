import { describe, expect, test } from "vitest";
import { ApiError } from "@latchkey/api";
import { toFormErrors } from "./form-errors.server";

const codeError = (reason: "INVALID_CODE" | "EXPIRED_CODE" | "TOO_MANY_ATTEMPTS") =>
  new ApiError({ code: "BAD_REQUEST", reason, field: "code", message: "code: in English" });

describe("toFormErrors", () => {
  test("each reason a sign-in code can be refused for gets its own message on the code field", () => {
    expect(toFormErrors(codeError("INVALID_CODE")).fieldErrors.code).toEqual({ key: "errors.codeInvalid" });
    expect(toFormErrors(codeError("EXPIRED_CODE")).fieldErrors.code).toEqual({ key: "errors.codeExpired" });
    expect(toFormErrors(codeError("TOO_MANY_ATTEMPTS")).fieldErrors.code).toEqual({ key: "errors.codeTooManyAttempts" });
  });

  test("a page can word a reason its own way, and other pages keep the shared wording", () => {
    const error = new ApiError({ code: "BAD_REQUEST", reason: "INVALID_TOKEN", field: "token", message: "token: no" });
    expect(toFormErrors(error, { INVALID_TOKEN: "passwordless.linkInvalid" }).fieldErrors.token).toEqual({ key: "passwordless.linkInvalid" });
    expect(toFormErrors(error).fieldErrors.token).toEqual({ key: "errors.resetLinkInvalid" });
  });
});
