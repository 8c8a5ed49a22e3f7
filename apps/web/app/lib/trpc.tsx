/**
 * The tRPC React Query client: `trpc.project.list.useQuery()` in components under a `TRPCProvider`. It is mounted by
 * the pages that use it (not the root), so pages like /sign-in don't ship React Query. Calls carry the organization
 * of the page in `x-latchkey-org`, so two tabs on two organizations never act on each other's.
 */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { httpBatchLink } from "@trpc/client";
import { createTRPCReact } from "@trpc/react-query";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import type { AppRouter } from "@latchkey/api";

export const trpc = createTRPCReact<AppRouter>();

const ORG_HEADER = "x-latchkey-org";

export function TRPCProvider({ orgSlug, children }: { orgSlug?: string | null; children: ReactNode }) {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { staleTime: 10_000, retry: 1 } } }),
  );
  const [client] = useState(() =>
    trpc.createClient({
      links: [
        httpBatchLink({
          url: "/api/trpc",
          transformer: superjson,
          headers: () => (orgSlug ? { [ORG_HEADER]: orgSlug } : {}),
        }),
      ],
    }),
  );
  return (
    <trpc.Provider client={client} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </trpc.Provider>
  );
}
