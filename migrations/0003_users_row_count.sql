CREATE TABLE `row_counts` (
	`name` text PRIMARY KEY NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
-- Written by hand (drizzle-kit does not model triggers): the users total the users list reads.
INSERT INTO `row_counts` (`name`, `count`) SELECT 'users', count(*) FROM `users`;--> statement-breakpoint
CREATE TRIGGER `users_count_insert` AFTER INSERT ON `users`
BEGIN
	UPDATE `row_counts` SET `count` = `count` + 1 WHERE `name` = 'users';
END;--> statement-breakpoint
CREATE TRIGGER `users_count_delete` AFTER DELETE ON `users`
BEGIN
	UPDATE `row_counts` SET `count` = `count` - 1 WHERE `name` = 'users';
END;
