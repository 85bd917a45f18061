-- DRF keys for several devices: a user may hold several API keys, so `user_id` is no longer
-- unique; a plain index (user, id) keeps the per-user lookups, listings and oldest-first cap
-- cheap. `prefix` (the key's first characters, to tell keys apart in a listing) is null for the
-- keys made before: only their digest exists. Every existing row and key stays as it was.
DROP INDEX `api_keys_user_id_unique`;--> statement-breakpoint
CREATE INDEX `api_keys_user_idx` ON `api_keys` (`user_id`,`id`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `prefix` text;
