import { createContext, useContext } from "react";

// The server provides the response's CSP nonce; in the browser it is "" (browsers hide nonce attributes from the DOM).
const NonceContext = createContext("");

export const NonceProvider = NonceContext.Provider;

export function useNonce(): string {
  return useContext(NonceContext);
}
