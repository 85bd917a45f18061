-- Written by hand (issue 12, item 2): the session generation every session cookie carries.
-- Existing users start at 0; cookies issued before this column (no generation) are refused.
ALTER TABLE `users` ADD `session_generation` integer DEFAULT 0 NOT NULL;
