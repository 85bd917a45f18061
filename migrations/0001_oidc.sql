ALTER TABLE `applications` ADD `algorithm` text DEFAULT 'RS256' NOT NULL;--> statement-breakpoint
ALTER TABLE `applications` ADD `post_logout_redirect_uris` text DEFAULT '' NOT NULL;