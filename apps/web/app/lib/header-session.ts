/** What the header needs about the signed-in user: sent to the browser, so nothing secret. */
export interface HeaderSession {
  /** The session's id (not its token): `useAuth().sessionId`, `useSession()`. */
  sessionId: string;
  user: {
    id: string;
    name: string | null;
    firstName: string | null;
    lastName: string | null;
    username: string | null;
    email: string | null;
    imageUrl: string | null;
    initials: string;
  };
  /** The organization in scope for this page, or null in the personal context. */
  organization: { id: string; slug: string; name: string; imageUrl: string | null } | null;
  /** The member's roles and permissions there (for showing or hiding UI; the server checks on every request). */
  orgRoles: string[];
  orgPermissions: string[];
  organizations: { id: string; slug: string; name: string; imageUrl: string | null }[];
  /** Shows the link to the admin console (the server checks the flag on every /admin request). */
  isInstanceAdmin: boolean;
}
