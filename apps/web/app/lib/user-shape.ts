/** The fields of a user in Clerk's names, shared by `useUser()` in the browser and `currentUser(args)` on the server. */
export interface UserFields {
  id: string;
  firstName: string | null;
  lastName: string | null;
  fullName: string | null;
  username: string | null;
  imageUrl: string | null;
  hasImage: boolean;
}

/** "First Last", either alone, or null when neither is set. */
export function fullNameOf(firstName: string | null, lastName: string | null): string | null {
  return [firstName, lastName].filter(Boolean).join(" ") || null;
}

export function userFieldsOf(user: { id: string; firstName: string | null; lastName: string | null; username: string | null; imageUrl: string | null }): UserFields {
  return {
    id: user.id,
    firstName: user.firstName,
    lastName: user.lastName,
    fullName: fullNameOf(user.firstName, user.lastName),
    username: user.username,
    imageUrl: user.imageUrl,
    hasImage: user.imageUrl !== null,
  };
}
