/**
 * "Your account's protection changed" emails: a factor added or removed, backup codes regenerated, the password
 * changed. Sent to the primary address, in the user's language, after the change committed; a failed delivery is
 * logged and never undoes or fails the change.
 */
import { and, eq, isNotNull } from "drizzle-orm";
import { emailAddresses, users } from "@latchkey/db";
import type { Context } from "./context.ts";
import { logMailFailure } from "./mail/index.ts";
import type { SecurityNoticeEvent } from "./mail/outgoing-mail.ts";

export async function sendSecurityNotice(ctx: Pick<Context, "db" | "mailer">, userId: string, event: SecurityNoticeEvent): Promise<void> {
  const [row] = await ctx.db
    .select({ email: emailAddresses.email, locale: users.locale })
    .from(users)
    .innerJoin(emailAddresses, and(eq(emailAddresses.userId, users.id), eq(emailAddresses.isPrimary, true), isNotNull(emailAddresses.verifiedAt)))
    .where(eq(users.id, userId));
  if (!row) return;
  await ctx.mailer.sendSecurityNotice({ to: row.email, locale: row.locale, event }).catch(logMailFailure(`security notice (${event})`));
}
