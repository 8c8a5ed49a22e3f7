/**
 * The settings page's logo upload and the image route against a real (in-memory) database: what a browser test
 * can't easily send, like a body bigger than the limit, with or without a declared length.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { MAX_IMAGE_BYTES } from "@latchkey/api";
import { APP_URL, PASSWORD, createRouteHarness } from "~/test/route-harness";

const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
const harness = createRouteHarness();
const { api } = harness;

/** A signed-in admin of a new organization. */
async function adminWithOrg() {
  const { token } = await harness.signUp("logo");
  const org = await api(token).caller.organization.create({ name: "Logo Co", slug: `logo-${Math.random().toString(36).slice(2, 8)}` });
  return { token, org };
}

async function upload(token: string, slug: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  const { action } = await import("./org.$slug.settings");
  const form = new FormData();
  form.set("intent", "upload-logo");
  form.set("logo", new File([bytes as Uint8Array<ArrayBuffer>], "logo.png", { type: "image/png" }));
  const encoded = new Request("http://x/", { method: "POST", body: form });
  const request = new Request(`${APP_URL}/org/${slug}/settings`, {
    method: "POST",
    headers: { cookie: `latchkey_session=${token}`, "content-type": encoded.headers.get("content-type")!, ...headers },
    body: await encoded.arrayBuffer(),
  });
  return harness.run(action, request, { slug });
}

/** Posts a plain form to the settings page's action. */
async function post(token: string, slug: string, fields: Record<string, string>): Promise<Response> {
  const { action } = await import("./org.$slug.settings");
  return harness.run(action, harness.formPost(`/org/${slug}/settings`, token, fields), { slug });
}

async function imageUrlOf(orgId: string): Promise<string | null> {
  const rows = await harness.db().query<{ image_url: string | null }>(`select image_url from organizations where id = '${orgId}'`);
  return rows[0]!.image_url;
}

async function serve(id: string): Promise<Response> {
  const { loader } = await import("./images.$id");
  return loader({ request: new Request(`${APP_URL}/images/${id}`), context: {}, params: { id } } as unknown as LoaderFunctionArgs);
}

describe("the logo upload and /images/:id", { timeout: 60_000 }, () => {
  test("deleting with a stale password check goes through /reverify and back, and deletes only after it", async () => {
    const { token, org } = await adminWithOrg();
    await harness.db().query(`update sessions set last_reverified_at = now() - interval '1 hour'`);
    const asked = await post(token, org.slug, { intent: "delete", confirmation: "Logo Co" });
    expect(asked.status).toBe(302);
    expect(asked.headers.get("Location")).toBe(`/reverify?redirect_url=${encodeURIComponent(`/org/${org.slug}/settings`)}&level=strict`);
    expect(await harness.db().query(`select id from organizations where id = '${org.id}'`)).toHaveLength(1);
    await api(token).caller.auth.reverify({ password: PASSWORD });
    const done = await post(token, org.slug, { intent: "delete", confirmation: "Logo Co" });
    expect(done.headers.get("Location")).toBe("/");
    expect(await harness.db().query(`select id from organizations where id = '${org.id}'`)).toHaveLength(0);
  });

  test("stores a PNG from the multipart form and serves it with its type, nosniff, a no-anything CSP and a long cache", async () => {
    const { token, org } = await adminWithOrg();
    const answer = await upload(token, org.slug, PNG);
    expect(answer.status).toBe(302);
    const url = await imageUrlOf(org.id);
    expect(url).toMatch(/^\/images\/img_/);
    const served = await serve(url!.split("/")[2]!);
    expect(served.status).toBe(200);
    expect(served.headers.get("Content-Type")).toBe("image/png");
    expect(served.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(served.headers.get("Content-Security-Policy")).toBe("default-src 'none'");
    expect(served.headers.get("Cache-Control")).toContain("max-age=31536000");
    expect(Buffer.compare(Buffer.from(await served.arrayBuffer()), PNG)).toBe(0);
    expect((await serve("img_unknown")).status).toBe(404);
  });

  test("refuses a body over 1 MB on the image field, whether its length is declared or only streamed", async () => {
    const { token, org } = await adminWithOrg();
    const big = Buffer.concat([PNG, Buffer.alloc(MAX_IMAGE_BYTES)]);
    // Declared too big: refused before the body is read (so even this small body is never looked at).
    // Not declared: read part by part and stopped once the file passes the limit.
    for (const [bytes, headers] of [[PNG, { "content-length": String(5 * MAX_IMAGE_BYTES) }], [big, {}]] as const) {
      const answer = await upload(token, org.slug, bytes, headers);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ intent: "upload-logo", fieldErrors: { image: { key: "orgSettings.errors.imageTooLarge" } } });
    }
    expect(await imageUrlOf(org.id)).toBeNull();
  });
});
