-- `manage import-django` (src/import/django.ts). Both columns are new and nullable: every existing
-- row keeps its meaning (no last login known; a client secret stored as its SHA-256 digest).
-- Django's `auth_user.last_login`, carried over by the import.
ALTER TABLE `users` ADD `last_login` integer;--> statement-breakpoint
-- A DOT ≥ 2 client secret exists only as its Django password hash (`pbkdf2_sha256$…`): kept until the
-- client first authenticates with its secret, then replaced by the SHA-256 digest in `client_secret_hash`.
ALTER TABLE `applications` ADD `django_client_secret` text;
--> statement-breakpoint
-- Dumps imported to the end, by the SHA-256 of their JSON: the same import run again writes nothing.
CREATE TABLE `django_imports` (
	`dump_digest` text PRIMARY KEY NOT NULL,
	`completed_at` integer NOT NULL
);
