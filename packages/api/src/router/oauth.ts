/**
 * Connected accounts (the caller's OAuth identities: list, unlink) and enterprise SSO connections (per organization:
 * read, save, enable/disable, remove). Linking itself goes through the start/callback routes (oauth-flow.ts).
 * Provider tokens and client secrets are never returned by any procedure.
 *
 * SSO connections need `org:sys_domains:manage`: a connection takes over sign-in for the organization's verified
 * domains, so it is the same right as managing those domains.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { createId, oauthAccounts, organizationDomains, ssoConnections } from "@latchkey/db";
import { discoverOpenIdConfiguration, encryptSecret, isAcceptableIssuer, OAuthFlowError } from "@latchkey/auth";
import { authedProcedure, orgProcedure } from "../trpc.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { idSchema } from "../validation.ts";
import type { Context } from "../context.ts";

type AuthedContext = Context & {
  user: { id: string };
  session: { id: string };
};
import { callbackUrl, countSignInMethods, SSO_CALLBACK_SEGMENT } from "../oauth-flow.ts";

const manageSso = "org:sys_domains:manage" as const;

const issuerSchema = z
  .string()
  .trim()
  .max(512, "At most 512 characters.")
  .refine(isAcceptableIssuer, "Enter the issuer's https:// URL (no query or fragment).")
  .transform((value) => value.replace(/\/+$/, ""));

async function unlinkOwn(ctx: AuthedContext, id: string): Promise<{ id: string; provider: string }> {
  return ctx.db.transaction(async (tx) => {
    // The user's row is the lock, taken first: two unlinks at once can't both see "another one is left" (and can't
    // deadlock on each other's identity rows).
    await tx.execute(sql`select id from users where id = ${ctx.user.id} for update`);
    const [account] = await tx
      .select({ id: oauthAccounts.id, provider: oauthAccounts.provider })
      .from(oauthAccounts)
      .where(and(eq(oauthAccounts.id, id), eq(oauthAccounts.userId, ctx.user.id)))
      .for("update");
    if (!account)
      throw new ApiError({
        code: "NOT_FOUND",
        reason: "NOT_FOUND",
        message: "No such connected account.",
      });
    const methods = await countSignInMethods(tx, ctx.user.id);
    if (!methods.password && methods.passkeys === 0 && methods.identities <= 1) {
      throw new ApiError({
        code: "CONFLICT",
        reason: "OAUTH_LAST_SIGN_IN_METHOD",
        message: "This is your only way to sign in. Set a password or connect another account first.",
      });
    }
    await tx.delete(oauthAccounts).where(eq(oauthAccounts.id, account.id));
    await recordAuditEvent(
      ctx,
      {
        action: "oauth.account_unlinked",
        outcome: "success",
        actorUserId: ctx.user.id,
        actorSessionId: ctx.session.id,
        targetType: "oauth_account",
        targetId: account.id,
        details: { provider: account.provider },
      },
      tx,
    );
    return account;
  });
}

export const oauthRouter = {
  /** The caller's connected accounts: provider, address and names as the provider gave them; never tokens. */
  connectedAccounts: authedProcedure.routine().query(async ({ ctx }) => {
    const rows = await ctx.db
      .select({
        id: oauthAccounts.id,
        provider: oauthAccounts.provider,
        email: oauthAccounts.email,
        emailVerified: oauthAccounts.emailVerified,
        username: oauthAccounts.username,
        firstName: oauthAccounts.firstName,
        lastName: oauthAccounts.lastName,
        imageUrl: oauthAccounts.imageUrl,
        lastSignInAt: oauthAccounts.lastSignInAt,
        createdAt: oauthAccounts.createdAt,
      })
      .from(oauthAccounts)
      .where(eq(oauthAccounts.userId, ctx.user.id))
      .orderBy(desc(oauthAccounts.createdAt));
    return rows;
  }),

  /** Disconnects one of the caller's identities, unless it is their last way to sign in (no password, no passkey). */
  unlink: authedProcedure
    .sensitive()
    .input(z.object({ id: idSchema("eac") }))
    .mutation(async ({ ctx, input }) => {
      const removed = await unlinkOwn(ctx, input.id).catch(async (error: unknown) => {
        if (error instanceof ApiError && error.reason === "OAUTH_LAST_SIGN_IN_METHOD") {
          await recordAuditEvent(ctx, {
            action: "oauth.account_unlinked",
            outcome: "denied",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            targetType: "oauth_account",
            targetId: input.id,
            details: { reason: error.reason },
          });
        }
        throw error;
      });
      return { id: removed.id, provider: removed.provider };
    }),

  /** The organization's SSO connection (never its secret), the redirect URI to register at the IdP and whether any domain is verified. */
  ssoConnection: orgProcedure
    .permission(manageSso).routine()
    .query(async ({ ctx }) => {
      const [connection] = await ctx.db
        .select({
          id: ssoConnections.id,
          issuer: ssoConnections.issuer,
          clientId: ssoConnections.clientId,
          enabled: ssoConnections.enabled,
          createdAt: ssoConnections.createdAt,
          updatedAt: ssoConnections.updatedAt,
        })
        .from(ssoConnections)
        .where(eq(ssoConnections.organizationId, ctx.organization.id));
      const domains = await ctx.db
        .select({ domain: organizationDomains.domain })
        .from(organizationDomains)
        .where(and(eq(organizationDomains.organizationId, ctx.organization.id), sql`${organizationDomains.verifiedAt} is not null`));
      return {
        connection: connection ?? null,
        redirectUri: callbackUrl(ctx.appUrl, SSO_CALLBACK_SEGMENT),
        verifiedDomains: domains.map((row) => row.domain),
      };
    }),

  /**
   * Creates or replaces the organization's connection. The issuer's discovery document is read and checked before
   * anything is saved. The client secret is required the first time; left out later, the stored one is kept.
   */
  saveSsoConnection: orgProcedure
    .permission(manageSso).sensitive()
    .input(
      z.object({
        issuer: issuerSchema,
        clientId: z.string().trim().min(1, "Enter the client id.").max(256, "At most 256 characters."),
        clientSecret: z.string().trim().max(1024, "At most 1024 characters.").optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const [existing] = await ctx.db
        .select({ id: ssoConnections.id })
        .from(ssoConnections)
        .where(eq(ssoConnections.organizationId, ctx.organization.id));
      if (!existing && !input.clientSecret) throw fieldError("clientSecret", "Enter the client secret.", "SSO_SECRET_REQUIRED");
      try {
        await discoverOpenIdConfiguration(input.issuer, { fresh: true });
      } catch (error) {
        if (error instanceof OAuthFlowError) throw fieldError("issuer", error.message, "SSO_DISCOVERY_FAILED");
        throw error;
      }
      const now = ctx.now();
      const id = await ctx.db.transaction(async (tx) => {
        const connectionId = existing?.id ?? createId("ssoConnection");
        const secret = input.clientSecret ? encryptSecret(ctx.keyring, input.clientSecret, `sso:${connectionId}`) : undefined;
        if (existing) {
          await tx
            .update(ssoConnections)
            .set({
              issuer: input.issuer,
              clientId: input.clientId,
              ...(secret ? { clientSecret: secret } : {}),
              updatedAt: now,
            })
            .where(eq(ssoConnections.id, existing.id));
        } else {
          await tx.insert(ssoConnections).values({
            id: connectionId,
            organizationId: ctx.organization.id,
            issuer: input.issuer,
            clientId: input.clientId,
            clientSecret: secret!,
            enabled: true,
            createdBy: ctx.user.id,
            createdAt: now,
            updatedAt: now,
          });
        }
        await recordAuditEvent(
          ctx,
          {
            action: existing ? "sso_connection.updated" : "sso_connection.created",
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            organizationId: ctx.organization.id,
            targetType: "sso_connection",
            targetId: connectionId,
            details: { issuer: input.issuer, secretChanged: Boolean(secret) },
          },
          tx,
        );
        return connectionId;
      });
      return { id, issuer: input.issuer, clientId: input.clientId };
    }),

  setSsoEnabled: orgProcedure
    .permission(manageSso).sensitive()
    .input(z.object({ enabled: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const [row] = await tx
          .update(ssoConnections)
          .set({ enabled: input.enabled, updatedAt: ctx.now() })
          .where(eq(ssoConnections.organizationId, ctx.organization.id))
          .returning({ id: ssoConnections.id });
        if (!row)
          throw new ApiError({
            code: "NOT_FOUND",
            reason: "NOT_FOUND",
            message: "This organization has no SSO connection.",
          });
        await recordAuditEvent(
          ctx,
          {
            action: input.enabled ? "sso_connection.enabled" : "sso_connection.disabled",
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            organizationId: ctx.organization.id,
            targetType: "sso_connection",
            targetId: row.id,
          },
          tx,
        );
        return { id: row.id, enabled: input.enabled };
      });
    }),

  removeSsoConnection: orgProcedure
    .permission(manageSso).sensitive()
    .mutation(async ({ ctx }) => {
      return ctx.db.transaction(async (tx) => {
        const [row] = await tx
          .delete(ssoConnections)
          .where(eq(ssoConnections.organizationId, ctx.organization.id))
          .returning({ id: ssoConnections.id });
        if (!row)
          throw new ApiError({
            code: "NOT_FOUND",
            reason: "NOT_FOUND",
            message: "This organization has no SSO connection.",
          });
        await recordAuditEvent(
          ctx,
          {
            action: "sso_connection.deleted",
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            organizationId: ctx.organization.id,
            targetType: "sso_connection",
            targetId: row.id,
          },
          tx,
        );
        return { id: row.id };
      });
    }),
} satisfies TRPCRouterRecord;
