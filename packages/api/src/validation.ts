/** Input schemas shared by routers. Every string has an upper bound; objects strip unknown keys. */
import { z } from "zod";

export const emailSchema = z
  .string()
  .trim()
  .min(3, "Enter your email address.")
  .max(254, "Email address is too long.")
  .pipe(z.email("Enter a valid email address."))
  .transform((value) => value.toLowerCase());

/** Length and content rules are applied by `checkPasswordPolicy`; this only bounds the payload. */
export const passwordSchema = z.string().min(1, "Enter your password.").max(1024, "Password is too long.");

export const personNameSchema = z.string().trim().max(64, "At most 64 characters.");

/** A username (profile and sign-up); unique regardless of case (`users_username_key` is on lower(username)). */
export const usernameSchema = z
  .string()
  .trim()
  .min(3, "At least 3 characters.")
  .max(32, "At most 32 characters.")
  .regex(/^[a-zA-Z0-9_.-]+$/, "Use letters, digits, dots, hyphens and underscores.");

/** The languages the app and its emails are offered in. */
export const localeSchema = z.enum(["en-US", "pl-PL"], "Choose a supported language.");

export const organizationNameSchema = z
  .string()
  .trim()
  .min(1, "Enter a name.")
  .max(64, "At most 64 characters.");

export const slugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(2, "At least 2 characters.")
  .max(48, "At most 48 characters.")
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "Use lowercase letters, digits and single hyphens.");

export const idSchema = (prefix: string) =>
  z
    .string()
    .max(64, "Not a valid id.")
    .regex(new RegExp(`^${prefix}_[a-z0-9_]+$`), "Not a valid id.");

/** A slug made from a name: lowercase ASCII, hyphens, 48 characters at most. */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48)
    .replace(/-+$/g, "");
  return slug.length >= 2 ? slug : `org-${slug || "new"}`;
}
