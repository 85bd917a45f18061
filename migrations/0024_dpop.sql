-- dpop branch (drizzle-kit generate): DPoP (RFC 9449). Nullable thumbprint columns with no default, so
-- every existing token stays a Bearer token; applications gain dpop_bound_access_tokens, false for all.
ALTER TABLE `access_tokens` ADD `jkt` text;--> statement-breakpoint
ALTER TABLE `applications` ADD `dpop_bound_access_tokens` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `jkt` text;