-- Written by hand (the lead reconciles drizzle's snapshot): clients identified by the URL of their
-- client ID metadata document (draft-ietf-oauth-client-id-metadata-document). A nullable column
-- with no default: every existing application reads as one that did not come from a document and
-- keeps working unchanged.
ALTER TABLE `applications` ADD `metadata_document_fresh_until` integer;--> statement-breakpoint
-- Partial expression index: only clients from a metadata document, by when they were last used
-- (or first seen), for the cleanup of unused ones.
CREATE INDEX `applications_metadata_document_last_used_idx` ON `applications` (coalesce(`last_used_at`, `created_at`)) WHERE `metadata_document_fresh_until` IS NOT NULL;
