-- Written by hand (issue 12, item 5): the case-insensitive identity of each username, unique.
-- The application stores usernameKey() (NFKC, then a full Unicode case fold) for every new user.
-- Existing rows get lower(username): SQLite's lower() folds ASCII only, which is exact for ASCII
-- usernames; a non-ASCII one keeps its non-ASCII letters' case here, and the exact username
-- check in isUsernameTaken still covers it. Rows that already collide case-insensitively
-- (e.g. `admin` and `Admin`) are all kept: only the oldest of them gets the key, the others keep
-- null (a unique index allows many nulls), so this migration cannot fail on existing data.
ALTER TABLE `users` ADD `username_key` text;--> statement-breakpoint
UPDATE `users` SET `username_key` = lower(`username`)
WHERE `id` IN (SELECT min(`id`) FROM `users` GROUP BY lower(`username`));--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_key_unique` ON `users` (`username_key`);
