-- shards branch (issue #27): a token shard (src/db/shard-schema.ts): the token tables of the main
-- database without their references to users and applications, which stay there, and the fences.
CREATE TABLE `access_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`token_hash` blob NOT NULL,
	`user_id` integer,
	`application_id` integer NOT NULL,
	`scope` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`audience` text,
	`imported` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_tokens_token_hash_unique` ON `access_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `access_tokens_expires_at_idx` ON `access_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `access_tokens_user_idx` ON `access_tokens` (`user_id`);--> statement-breakpoint
CREATE INDEX `access_tokens_application_idx` ON `access_tokens` (`application_id`);--> statement-breakpoint
CREATE TABLE `application_fences` (
	`application_id` integer PRIMARY KEY NOT NULL,
	`generation` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `authorization_codes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`code_hash` blob NOT NULL,
	`application_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`redirect_uri` text NOT NULL,
	`scope` text NOT NULL,
	`code_challenge` text DEFAULT '' NOT NULL,
	`code_challenge_method` text DEFAULT '' NOT NULL,
	`nonce` text DEFAULT '' NOT NULL,
	`auth_time` integer,
	`expires_at` integer NOT NULL,
	`redeemed_at` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`audience` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `authorization_codes_code_hash_unique` ON `authorization_codes` (`code_hash`);--> statement-breakpoint
CREATE INDEX `authorization_codes_expires_at_idx` ON `authorization_codes` (`expires_at`);--> statement-breakpoint
CREATE INDEX `authorization_codes_application_idx` ON `authorization_codes` (`application_id`);--> statement-breakpoint
CREATE INDEX `authorization_codes_user_idx` ON `authorization_codes` (`user_id`);--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`token_hash` blob NOT NULL,
	`access_token_id` integer,
	`user_id` integer,
	`application_id` integer NOT NULL,
	`scope` text NOT NULL,
	`family_id` integer,
	`auth_time` integer,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`audience` text,
	`imported` integer,
	FOREIGN KEY (`access_token_id`) REFERENCES `access_tokens`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_token_hash_unique` ON `refresh_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_family_idx` ON `refresh_tokens` (`family_id`) WHERE family_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `refresh_tokens_expires_at_idx` ON `refresh_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_access_token_idx` ON `refresh_tokens` (`access_token_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_application_idx` ON `refresh_tokens` (`application_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user_idx` ON `refresh_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `user_fences` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`generation` integer NOT NULL
);
