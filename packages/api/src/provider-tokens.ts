/**
 * oauth: `getProviderToken(ctx, providers, userId, provider)` for server code that calls a provider's API on a user's
 * behalf (issue 18). The stored access token is decrypted (ADR 007); when it has expired, or expires within a minute,
 * and a refresh token is stored, it is refreshed at the provider first and the new tokens are stored encrypted.
 * Server side only: nothing here is reachable from a procedure, and tokens never go to a browser.
 */
import { and, eq } from "drizzle-orm";
import { oauthAccounts } from "@latchkey/db";
import { decryptSecret, encryptSecret, OAuthFlowError, refreshProviderTokens } from "@latchkey/auth";
import type { Context } from "./context.ts";
import type { ConfiguredProvider } from "./oauth-flow.ts";

const REFRESH_MARGIN_MS = 60_000;

export interface ProviderToken {
  accessToken: string;
  expiresAt: Date | null;
  scopes: string[];
  refreshed: boolean;
}

/** The user's current access token at `provider`, refreshed when needed; null when there is no usable token. */
export async function getProviderToken(
  ctx: Pick<Context, "db" | "keyring" | "now">,
  providers: ConfiguredProvider[],
  userId: string,
  provider: string,
): Promise<ProviderToken | null> {
  const [account] = await ctx.db
    .select({
      id: oauthAccounts.id,
      accessToken: oauthAccounts.accessToken,
      refreshToken: oauthAccounts.refreshToken,
      expiresAt: oauthAccounts.expiresAt,
      scopes: oauthAccounts.scopes,
    })
    .from(oauthAccounts)
    .where(and(eq(oauthAccounts.userId, userId), eq(oauthAccounts.provider, provider)))
    .limit(1);
  if (!account?.accessToken) return null;
  const context = `oauth:${account.id}`;
  const now = ctx.now();
  const fresh = account.expiresAt === null || account.expiresAt.getTime() - REFRESH_MARGIN_MS > now.getTime();
  if (fresh) {
    return { accessToken: decryptSecret(ctx.keyring, account.accessToken, context), expiresAt: account.expiresAt, scopes: account.scopes ?? [], refreshed: false };
  }
  const configured = providers.find((candidate) => candidate.id === provider);
  if (!account.refreshToken || !configured) return null;
  let tokens;
  try {
    tokens = await refreshProviderTokens(await configured.resolve(), decryptSecret(ctx.keyring, account.refreshToken, context), now);
  } catch (error) {
    if (error instanceof OAuthFlowError) return null;
    throw error;
  }
  if (!tokens.accessToken) return null;
  const scopes = tokens.scopes.length > 0 ? tokens.scopes.slice(0, 50) : (account.scopes ?? []);
  await ctx.db
    .update(oauthAccounts)
    .set({
      accessToken: encryptSecret(ctx.keyring, tokens.accessToken, context),
      // Providers that rotate refresh tokens send a new one; the others keep the old one valid.
      ...(tokens.refreshToken ? { refreshToken: encryptSecret(ctx.keyring, tokens.refreshToken, context) } : {}),
      expiresAt: tokens.expiresAt,
      scopes,
      updatedAt: now,
    })
    .where(eq(oauthAccounts.id, account.id));
  return { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt, scopes, refreshed: true };
}
