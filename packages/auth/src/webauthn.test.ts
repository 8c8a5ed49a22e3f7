import { describe, expect, it } from "vitest";
import { relyingPartyFor } from "./webauthn.ts";

describe("relyingPartyFor", () => {
  it("takes the RP id from the app URL's hostname and the expected origin from its origin", () => {
    expect(relyingPartyFor("https://auth.example.com/some/path")).toEqual({ id: "auth.example.com", origin: "https://auth.example.com", name: "Latchkey" });
    expect(relyingPartyFor("http://localhost:3000", "Acme")).toEqual({ id: "localhost", origin: "http://localhost:3000", name: "Acme" });
  });
});
