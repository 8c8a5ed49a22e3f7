import type { AuthArgs, SignedInAuth } from "./auth.server";
import { getCaller } from "./auth.server";
import type { HeaderSession } from "./header-session";
import { fullNameOf } from "./user-shape";

export function initialsOf(name: string | null, email: string | null): string {
  const source = name?.trim() || email?.split("@")[0] || "?";
  const words = source.split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? words[0]![0]! + words[words.length - 1]![0]! : source.slice(0, 2);
  return letters.toUpperCase();
}

export async function getHeaderSession(args: AuthArgs, auth: SignedInAuth): Promise<HeaderSession> {
  const organizations = await (await getCaller(args)).organization.listMine();
  const name = fullNameOf(auth.user.firstName, auth.user.lastName);
  return {
    sessionId: auth.sessionId,
    user: {
      id: auth.user.id,
      name,
      firstName: auth.user.firstName,
      lastName: auth.user.lastName,
      username: auth.user.username,
      email: auth.user.primaryEmail,
      imageUrl: auth.user.imageUrl,
      initials: initialsOf(name, auth.user.primaryEmail),
    },
    organization: auth.orgId ? { id: auth.orgId, slug: auth.orgSlug!, name: auth.orgName!, imageUrl: auth.orgImageUrl } : null,
    isInstanceAdmin: auth.user.isInstanceAdmin,
    orgRoles: auth.orgRoles,
    orgPermissions: auth.orgPermissions,
    organizations: organizations.map((o) => ({ id: o.id, slug: o.slug, name: o.name, imageUrl: o.imageUrl })),
  };
}
