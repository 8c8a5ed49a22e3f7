ALTER TABLE "memberships" ADD COLUMN "role_keys" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "memberships" ADD COLUMN "permissions" text[] DEFAULT '{}'::text[] NOT NULL;