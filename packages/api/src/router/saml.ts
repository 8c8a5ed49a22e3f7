/**
 * saml: the organization's SAML 2.0 connection (ADR 025), beside its OpenID one: read, save from the IdP's metadata
 * (URL or uploaded XML), enable/disable, remove. Same right as OpenID SSO, `org:sys_domains:manage`: a connection takes
 * over sign-in for the organization's verified domains. Nothing about a SAML connection is secret (the IdP's
 * certificates are public), so every field can be read back.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { createId, organizationDomains, samlConnections } from "@latchkey/db";
import { orgProcedure } from "../trpc.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { attributePresets, type AttributePreset } from "../saml/attributes.ts";
import { fetchIdpMetadata, isAcceptableSsoUrl, MAX_METADATA_BYTES, MetadataError, parseIdpMetadata, type IdpMetadata } from "../saml/idp-metadata.ts";
import { samlServiceProviderUrls } from "../saml/flow.ts";

const manageSso = "org:sys_domains:manage" as const;

const attributeName = z.string().trim().min(1, "Enter an attribute name.").max(256, "At most 256 characters.");

const saveInput = z
  .object({
    /** Read now; stored so the admin can see where it came from. */
    metadataUrl: z
      .string()
      .trim()
      .max(1024, "At most 1024 characters.")
      .refine((value) => value === "" || isAcceptableSsoUrl(value), "Enter the metadata's https:// URL.")
      .optional(),
    metadataXml: z.string().max(MAX_METADATA_BYTES, "The metadata is too large (at most 512 KiB).").optional(),
    preset: z.enum(Object.keys(attributePresets) as [AttributePreset, ...AttributePreset[]]).optional(),
    emailAttribute: attributeName.optional(),
    firstNameAttribute: attributeName.optional(),
    lastNameAttribute: attributeName.optional(),
    allowIdpInitiated: z.boolean().default(false),
  })
  .strict();

async function readMetadata(input: z.infer<typeof saveInput>): Promise<IdpMetadata | null> {
  const xml = input.metadataXml?.trim();
  try {
    if (xml) return parseIdpMetadata(xml);
    if (input.metadataUrl) return await fetchIdpMetadata(input.metadataUrl);
  } catch (error) {
    if (error instanceof MetadataError) throw fieldError(xml ? "metadataXml" : "metadataUrl", error.message, "SAML_METADATA_INVALID");
    throw error;
  }
  return null;
}

const notFound = () => new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "This organization has no SAML connection." });

export const samlRouter = {
  /** The connection, our service provider's URLs for it (entity id, ACS, metadata), the presets and the verified domains. */
  connection: orgProcedure
    .permission(manageSso).routine()
    .query(async ({ ctx }) => {
      const [connection] = await ctx.db
        .select({
          id: samlConnections.id,
          idpEntityId: samlConnections.idpEntityId,
          idpSsoUrl: samlConnections.idpSsoUrl,
          idpCertificates: samlConnections.idpCertificates,
          metadataUrl: samlConnections.metadataUrl,
          emailAttribute: samlConnections.emailAttribute,
          firstNameAttribute: samlConnections.firstNameAttribute,
          lastNameAttribute: samlConnections.lastNameAttribute,
          allowIdpInitiated: samlConnections.allowIdpInitiated,
          enabled: samlConnections.enabled,
          createdAt: samlConnections.createdAt,
          updatedAt: samlConnections.updatedAt,
        })
        .from(samlConnections)
        .where(eq(samlConnections.organizationId, ctx.organization.id));
      const domains = await ctx.db
        .select({ domain: organizationDomains.domain })
        .from(organizationDomains)
        .where(and(eq(organizationDomains.organizationId, ctx.organization.id), sql`${organizationDomains.verifiedAt} is not null`));
      return {
        connection: connection ?? null,
        serviceProvider: connection ? samlServiceProviderUrls(ctx.appUrl, connection.id) : null,
        presets: attributePresets,
        verifiedDomains: domains.map((row) => row.domain),
      };
    }),

  /**
   * Creates or replaces the connection. The metadata (URL or XML) is required the first time and read before anything
   * is saved; left out later, the stored IdP settings are kept and only the mapping and switches change. Attribute
   * names: typed ones win over the preset, the preset over what was stored, Okta's names by default.
   */
  save: orgProcedure
    .permission(manageSso).sensitive()
    .input(saveInput)
    .mutation(async ({ ctx, input }) => {
      const [existing] = await ctx.db.select().from(samlConnections).where(eq(samlConnections.organizationId, ctx.organization.id));
      const metadata = await readMetadata(input);
      if (!existing && !metadata) throw fieldError("metadataUrl", "Enter the metadata URL or upload the metadata file.", "SAML_METADATA_INVALID");
      const base = input.preset ? attributePresets[input.preset] : (existing ?? attributePresets.okta);
      const mapping = {
        emailAttribute: input.emailAttribute ?? base.emailAttribute,
        firstNameAttribute: input.firstNameAttribute ?? base.firstNameAttribute,
        lastNameAttribute: input.lastNameAttribute ?? base.lastNameAttribute,
      };
      const idp = metadata
        ? {
            idpEntityId: metadata.entityId,
            idpSsoUrl: metadata.ssoUrl,
            idpCertificates: metadata.certificates,
            metadataUrl: input.metadataXml?.trim() ? null : (input.metadataUrl ?? null),
          }
        : {};
      const now = ctx.now();
      return ctx.db.transaction(async (tx) => {
        const id = existing?.id ?? createId("samlConnection");
        if (existing) {
          await tx
            .update(samlConnections)
            .set({ ...idp, ...mapping, allowIdpInitiated: input.allowIdpInitiated, updatedAt: now })
            .where(eq(samlConnections.id, existing.id));
        } else {
          await tx.insert(samlConnections).values({
            id,
            organizationId: ctx.organization.id,
            idpEntityId: metadata!.entityId,
            idpSsoUrl: metadata!.ssoUrl,
            idpCertificates: metadata!.certificates,
            metadataUrl: input.metadataXml?.trim() ? null : (input.metadataUrl ?? null),
            ...mapping,
            allowIdpInitiated: input.allowIdpInitiated,
            enabled: true,
            createdBy: ctx.user.id,
            createdAt: now,
            updatedAt: now,
          });
        }
        await recordAuditEvent(
          ctx,
          {
            action: existing ? "saml_connection.updated" : "saml_connection.created",
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            organizationId: ctx.organization.id,
            targetType: "saml_connection",
            targetId: id,
            details: {
              idpEntityId: metadata?.entityId ?? existing?.idpEntityId ?? null,
              certificates: metadata?.certificates.length ?? existing?.idpCertificates.length ?? 0,
              allowIdpInitiated: input.allowIdpInitiated,
            },
          },
          tx,
        );
        return { id, idpEntityId: metadata?.entityId ?? existing!.idpEntityId, ...mapping, allowIdpInitiated: input.allowIdpInitiated };
      });
    }),

  setEnabled: orgProcedure
    .permission(manageSso).sensitive()
    .input(z.object({ enabled: z.boolean() }).strict())
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const [row] = await tx
          .update(samlConnections)
          .set({ enabled: input.enabled, updatedAt: ctx.now() })
          .where(eq(samlConnections.organizationId, ctx.organization.id))
          .returning({ id: samlConnections.id });
        if (!row) throw notFound();
        await recordAuditEvent(
          ctx,
          {
            action: input.enabled ? "saml_connection.enabled" : "saml_connection.disabled",
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            organizationId: ctx.organization.id,
            targetType: "saml_connection",
            targetId: row.id,
          },
          tx,
        );
        return { id: row.id, enabled: input.enabled };
      });
    }),

  remove: orgProcedure
    .permission(manageSso).sensitive()
    .mutation(async ({ ctx }) => {
      return ctx.db.transaction(async (tx) => {
        const [row] = await tx
          .delete(samlConnections)
          .where(eq(samlConnections.organizationId, ctx.organization.id))
          .returning({ id: samlConnections.id });
        if (!row) throw notFound();
        await recordAuditEvent(
          ctx,
          {
            action: "saml_connection.deleted",
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            organizationId: ctx.organization.id,
            targetType: "saml_connection",
            targetId: row.id,
          },
          tx,
        );
        return { id: row.id };
      });
    }),
} satisfies TRPCRouterRecord;
