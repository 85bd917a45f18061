-- idjag branch (renumber on merge if 0023 is taken). Enterprise-managed authorization (ID-JAG,
-- draft-ietf-oauth-identity-assertion-authz-grant): the identity providers whose ID-JAGs the jwt-bearer
-- grant accepts, and the exchange policy of this server acting as one. Two new tables; nothing else changes.
CREATE TABLE `id_jag_policies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`application_id` integer NOT NULL,
	`audience` text NOT NULL,
	`resource` text NOT NULL,
	`audience_client_id` text NOT NULL,
	`scope` text,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `id_jag_policies_application_idx` ON `id_jag_policies` (`application_id`,`audience`,`resource`);--> statement-breakpoint
CREATE TABLE `trusted_identity_providers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`issuer` text NOT NULL,
	`jwks` text,
	`jwks_uri` text,
	`user_claim` text DEFAULT 'email' NOT NULL,
	`user_field` text DEFAULT 'email' NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `trusted_identity_providers_issuer_unique` ON `trusted_identity_providers` (`issuer`);