-- Compact token rows (docs/capacity.md): digests as 32-byte BLOBs instead of 64-character hex
-- text, and refresh token families as integers instead of text. SQLite cannot change a column's
-- type, so each table is rebuilt: created under a new name, filled from the old one (every row
-- and id kept), the old one dropped, the new one renamed. Written by hand.
--
-- Foreign keys stay on in D1, so the order matters: the new refresh_tokens references the NEW
-- access_tokens (RENAME rewrites that reference), and the old refresh_tokens is dropped before the
-- old access_tokens, so dropping a table never fires ON DELETE SET NULL on rows being kept.
--
-- Families: a family's id is the id of one of its refresh tokens (its first one in new grants,
-- stored there as NULL), and a code's family is minus the code's id. An old hex family becomes the
-- smallest id among its rows, which no later refresh token can take; `code:N` becomes -N.
--
-- AUTOINCREMENT counters (sqlite_sequence) are carried over: copying rows would reset them to the
-- largest id left, and a reused code id would name a family that still has live tokens.
CREATE TABLE `access_tokens_compact` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`token_hash` blob NOT NULL,
	`user_id` integer,
	`application_id` integer NOT NULL,
	`scope` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
INSERT INTO `access_tokens_compact` (`id`, `token_hash`, `user_id`, `application_id`, `scope`, `expires_at`, `created_at`)
	SELECT `id`, unhex(`token_hash`), `user_id`, `application_id`, `scope`, `expires_at`, `created_at` FROM `access_tokens`;--> statement-breakpoint
CREATE TABLE `refresh_tokens_compact` (
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
	FOREIGN KEY (`access_token_id`) REFERENCES `access_tokens_compact`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
INSERT INTO `refresh_tokens_compact` (`id`, `token_hash`, `access_token_id`, `user_id`, `application_id`, `scope`, `family_id`, `auth_time`, `expires_at`, `revoked_at`, `created_at`)
	SELECT r.`id`, unhex(r.`token_hash`), r.`access_token_id`, r.`user_id`, r.`application_id`, r.`scope`,
		CASE WHEN r.`family_id` LIKE 'code:%' THEN -CAST(substr(r.`family_id`, 6) AS INTEGER)
			ELSE nullif(f.`root`, r.`id`) END,
		r.`auth_time`, r.`expires_at`, r.`revoked_at`, r.`created_at`
	FROM `refresh_tokens` r
	JOIN (SELECT `family_id`, min(`id`) AS `root` FROM `refresh_tokens` GROUP BY `family_id`) f ON f.`family_id` = r.`family_id`;--> statement-breakpoint
CREATE TABLE `authorization_codes_compact` (
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
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
INSERT INTO `authorization_codes_compact` (`id`, `code_hash`, `application_id`, `user_id`, `redirect_uri`, `scope`, `code_challenge`, `code_challenge_method`, `nonce`, `auth_time`, `expires_at`, `redeemed_at`, `created_at`)
	SELECT `id`, unhex(`code_hash`), `application_id`, `user_id`, `redirect_uri`, `scope`, `code_challenge`, `code_challenge_method`, `nonce`, `auth_time`, `expires_at`, `redeemed_at`, `created_at` FROM `authorization_codes`;--> statement-breakpoint
-- Each copy made its table's counter row; raise it to the old table's counter.
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, coalesce((SELECT o.`seq` FROM `sqlite_sequence` o WHERE o.`name` = replace(`sqlite_sequence`.`name`, '_compact', '')), 0))
	WHERE `name` IN ('access_tokens_compact', 'refresh_tokens_compact', 'authorization_codes_compact');--> statement-breakpoint
DROP TABLE `refresh_tokens`;--> statement-breakpoint
DROP TABLE `access_tokens`;--> statement-breakpoint
DROP TABLE `authorization_codes`;--> statement-breakpoint
ALTER TABLE `access_tokens_compact` RENAME TO `access_tokens`;--> statement-breakpoint
ALTER TABLE `refresh_tokens_compact` RENAME TO `refresh_tokens`;--> statement-breakpoint
ALTER TABLE `authorization_codes_compact` RENAME TO `authorization_codes`;--> statement-breakpoint
CREATE UNIQUE INDEX `access_tokens_token_hash_unique` ON `access_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `access_tokens_expires_at_idx` ON `access_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `access_tokens_user_idx` ON `access_tokens` (`user_id`);--> statement-breakpoint
CREATE INDEX `access_tokens_application_idx` ON `access_tokens` (`application_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_token_hash_unique` ON `refresh_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_family_idx` ON `refresh_tokens` (`family_id`) WHERE family_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `refresh_tokens_expires_at_idx` ON `refresh_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_access_token_idx` ON `refresh_tokens` (`access_token_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `authorization_codes_code_hash_unique` ON `authorization_codes` (`code_hash`);--> statement-breakpoint
CREATE INDEX `authorization_codes_expires_at_idx` ON `authorization_codes` (`expires_at`);
