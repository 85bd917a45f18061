-- par-pkjwt branch. Written by hand (drizzle snapshot 0022 reconciled on merge): private_key_jwt client
-- authentication (RFC 7523). Two nullable columns with no default: every existing application
-- holds no keys and authenticates as before. And the replay store of one-time JWT IDs.
ALTER TABLE `applications` ADD `jwks` text;--> statement-breakpoint
ALTER TABLE `applications` ADD `jwks_uri` text;--> statement-breakpoint
CREATE TABLE `used_jtis` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key_hash` blob NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `used_jtis_key_hash_unique` ON `used_jtis` (`key_hash`);--> statement-breakpoint
CREATE INDEX `used_jtis_expires_at_idx` ON `used_jtis` (`expires_at`);
