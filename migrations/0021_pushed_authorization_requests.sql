-- par-pkjwt branch. Written by hand (drizzle snapshot 0022 reconciled on merge): pushed authorization
-- requests (RFC 9126). The new application column defaults to false: every existing client keeps
-- sending its requests in the URL until it is marked.
ALTER TABLE `applications` ADD `require_pushed_authorization_requests` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE TABLE `pushed_authorization_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`request_uri_hash` blob NOT NULL,
	`application_id` integer NOT NULL,
	`params` text NOT NULL,
	`expires_at` integer NOT NULL,
	`consumed_at` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pushed_authorization_requests_request_uri_hash_unique` ON `pushed_authorization_requests` (`request_uri_hash`);--> statement-breakpoint
CREATE INDEX `pushed_authorization_requests_expires_at_idx` ON `pushed_authorization_requests` (`expires_at`);--> statement-breakpoint
CREATE INDEX `pushed_authorization_requests_application_idx` ON `pushed_authorization_requests` (`application_id`);
