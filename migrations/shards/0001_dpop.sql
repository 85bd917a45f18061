-- Merge of main into shards: DPoP (RFC 9449), as the main database's 0024_dpop.sql does to its token
-- tables: nullable thumbprint columns with no default, so every existing token stays a Bearer token.
ALTER TABLE `access_tokens` ADD `jkt` text;--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `jkt` text;