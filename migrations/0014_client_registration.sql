-- Written by hand (the lead reconciles drizzle's snapshot): RFC 7591/7592 dynamic client
-- registration. Every column is nullable with no default, so every existing application reads
-- as one a person made (not registered, any auth method, any scope) and keeps working unchanged.
ALTER TABLE `applications` ADD `registration_token_hash` text;--> statement-breakpoint
ALTER TABLE `applications` ADD `last_used_at` integer;--> statement-breakpoint
ALTER TABLE `applications` ADD `token_endpoint_auth_method` text;--> statement-breakpoint
ALTER TABLE `applications` ADD `allowed_scope` text;--> statement-breakpoint
ALTER TABLE `applications` ADD `application_type` text;--> statement-breakpoint
-- Partial expression index: only registered clients, by when they were last used (or registered).
CREATE INDEX `applications_registered_last_used_idx` ON `applications` (coalesce(`last_used_at`, `created_at`)) WHERE `registration_token_hash` IS NOT NULL;--> statement-breakpoint
-- Deleting an application (RFC 7592 DELETE, the cleanup of unused registrations, the management
-- API) cascades to its refresh tokens and codes: without these, each deletion scans both tables.
CREATE INDEX `refresh_tokens_application_idx` ON `refresh_tokens` (`application_id`);--> statement-breakpoint
CREATE INDEX `authorization_codes_application_idx` ON `authorization_codes` (`application_id`);
