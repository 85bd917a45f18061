-- Written by hand on branch `import`; drizzle-kit snapshot 0019 reconciled on merge.
-- `manage import-django` (src/import/). Every column is new and nullable: existing rows keep their meaning.
-- The expiry of the last token a dump brought, so that running the import again prints the
-- IMPORTED_TOKENS_UNTIL it printed first (null: the dump brought no live token, or it predates this column).
ALTER TABLE `django_imports` ADD `tokens_until` integer;--> statement-breakpoint
-- A django-oauth-toolkit token brought by the import (1), shown as such in the console; null for
-- every token minted here, so a native row gains no stored byte beyond the record header's.
ALTER TABLE `access_tokens` ADD `imported` integer;--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `imported` integer;
