import { describe, expect, test } from "vitest";
import { readFormData } from "./form-data.server";

const post = (body: string | null, contentType: string | null) =>
  new Request("http://localhost/x", { method: "POST", body, headers: contentType ? { "content-type": contentType } : {} });

describe("readFormData", () => {
  test("reads a urlencoded form", async () => {
    expect((await readFormData(post("intent=go&x=1", "application/x-www-form-urlencoded"))).get("intent")).toBe("go");
  });

  test("answers JSON, plain text, no content type and broken multipart with a 400, not a 500", async () => {
    for (const [body, type] of [
      ['{"intent":"go"}', "application/json"],
      ["intent=go", "text/plain"],
      ["intent=go", null],
      ["--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n", "multipart/form-data; boundary=x"],
    ] as const) {
      const thrown = await readFormData(post(body, type)).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(Response);
      expect((thrown as Response).status).toBe(400);
    }
  });
});
