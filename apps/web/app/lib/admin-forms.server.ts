/**
 * Form errors for the admin console's organization and role pages: like `formErrorResponse`, with this page's own
 * message per field (`maxMemberships`, a role's `key`, …) where the shared list has none, so every message is in the
 * dictionary rather than the API's English sentence. A reason override still wins over a field's message.
 */
import { data } from "@remix-run/node";
import { ApiError } from "@latchkey/api";
import type { MessageKey } from "~/i18n/dictionary";
import { getAuthHeaders, type AuthArgs } from "./auth.server";
import { isFormError, statusOf, toFormErrors, type ReasonOverrides } from "./form-errors.server";

export async function adminFormErrorResponse<T extends object>(
  args: AuthArgs,
  error: unknown,
  extra: T,
  fieldKeys: Partial<Record<string, MessageKey>>,
  overrides: ReasonOverrides = {},
) {
  if (!isFormError(error)) throw error;
  const errors = toFormErrors(error, overrides);
  const reason = error instanceof ApiError ? error.reason : null;
  if (!(reason && overrides[reason])) {
    for (const field of Object.keys(errors.fieldErrors)) {
      const key = fieldKeys[field] ?? fieldKeys[field.split(".")[0]!];
      if (key) errors.fieldErrors[field] = { key };
    }
  }
  return data({ ...errors, ...extra }, { status: statusOf(error), headers: await getAuthHeaders(args) });
}

/** The role and custom permission forms' messages, per field. */
export const roleFieldKeys: Partial<Record<string, MessageKey>> = {
  key: "adminRoles.errors.key",
  name: "adminRoles.errors.name",
  description: "adminRoles.errors.description",
  permissions: "adminRoles.errors.permissions",
};

/** Refusals that are about the state, not the input's shape. */
export const roleReasonKeys: ReasonOverrides = {
  ALREADY_EXISTS: "adminRoles.errors.exists",
  UNKNOWN_PERMISSION: "adminRoles.errors.unknownPermission",
  SYSTEM_ROLE: "adminRoles.errors.systemRole",
  ROLE_IN_USE: "adminRoles.errors.roleInUse",
  PERMISSION_IN_USE: "adminRoles.errors.permissionInUse",
  NOT_FOUND: "adminRoles.errors.notFound",
};
