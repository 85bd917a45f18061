-- One name per concept: the table of authorization codes and the table of DRF `Token` keys are
-- named for what they hold. SQLite's RENAME keeps every row and rewrites the foreign keys and
-- triggers that name the table; index names cannot be renamed, so those embedding the old table
-- name are dropped and created again under the new one (same columns, same uniqueness).
ALTER TABLE `grants` RENAME TO `authorization_codes`;--> statement-breakpoint
DROP INDEX `grants_code_hash_unique`;--> statement-breakpoint
CREATE UNIQUE INDEX `authorization_codes_code_hash_unique` ON `authorization_codes` (`code_hash`);--> statement-breakpoint
DROP INDEX `grants_expires_at_idx`;--> statement-breakpoint
CREATE INDEX `authorization_codes_expires_at_idx` ON `authorization_codes` (`expires_at`);--> statement-breakpoint
ALTER TABLE `api_tokens` RENAME TO `api_keys`;--> statement-breakpoint
DROP INDEX `api_tokens_key_hash_unique`;--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
DROP INDEX `api_tokens_user_id_unique`;--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_user_id_unique` ON `api_keys` (`user_id`);
