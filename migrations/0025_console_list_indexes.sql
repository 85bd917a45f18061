-- console branch (renumber on merge if 0025 is taken). The operator console's sorted lists and its
-- tokens list filtered by user: four indexes; no table changes.
CREATE INDEX `applications_name_idx` ON `applications` (`name`);--> statement-breakpoint
CREATE INDEX `applications_created_at_idx` ON `applications` (`created_at`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user_idx` ON `refresh_tokens` (`user_id`);--> statement-breakpoint
CREATE INDEX `users_date_joined_idx` ON `users` (`date_joined`);