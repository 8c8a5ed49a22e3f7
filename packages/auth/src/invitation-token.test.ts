import { describe, expect, it } from "vitest";
import { createId } from "@latchkey/db";
import { generateInvitationToken, parseInvitationToken, verifyInvitationSecret } from "./invitation-token.ts";

describe("invitation tokens", () => {
  it("carry the invitation id and a 192-bit secret whose hash alone is stored", () => {
    const id = createId("invitation");
    const { token, tokenHash } = generateInvitationToken(id);
    const parsed = parseInvitationToken(token)!;
    expect(parsed.id).toBe(id);
    expect(parsed.secret).toHaveLength(39);
    expect(tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenHash).not.toContain(parsed.secret);
    expect(verifyInvitationSecret(tokenHash, parsed.secret)).toBe(true);
  });

  it("refuse a re-issued token's predecessor and any malformed token", () => {
    const id = createId("invitation");
    const first = generateInvitationToken(id);
    const second = generateInvitationToken(id);
    expect(verifyInvitationSecret(second.tokenHash, parseInvitationToken(first.token)!.secret)).toBe(false);
    for (const bad of ["", "inv_x.y", `${id}.`, `${first.token}x`, `ver_${"a".repeat(24)}.${"a".repeat(39)}`]) {
      expect(parseInvitationToken(bad)).toBeNull();
    }
  });
});
