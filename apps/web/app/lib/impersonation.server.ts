/** The root loader's impersonation info: null unless this request's session is an admin viewing as a user. */
import type { AuthArgs, SignedInAuth } from "./auth.server";
import { getCaller } from "./auth.server";
import type { ImpersonationBannerData } from "./impersonation";

function labelOf(person: { id: string; name: string | null; email: string | null }): string {
  return person.name ?? person.email ?? person.id;
}

export async function getImpersonationBanner(args: AuthArgs, auth: SignedInAuth): Promise<ImpersonationBannerData | null> {
  if (!auth.impersonatorUserId) return null;
  const status = await (await getCaller(args)).impersonation.status();
  if (!status) return null;
  const iso = status.expiresAt.toISOString();
  return {
    userLabel: labelOf(status.user),
    userId: status.user.id,
    adminLabel: labelOf(status.impersonator),
    endsAt: `${iso.slice(11, 16)} UTC`,
    endsAtIso: iso,
  };
}
