-- shards branch (issue #27): token fences and the application generation. The main database is
-- token shard 0 (the token tables it has kept since 0000), so it gets the fences every token shard
-- has (migrations/shards/); applications gain the generation their fences compare.
CREATE TABLE `application_fences` (
	`application_id` integer PRIMARY KEY NOT NULL,
	`generation` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `user_fences` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`generation` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `applications` ADD `generation` integer DEFAULT 0 NOT NULL;