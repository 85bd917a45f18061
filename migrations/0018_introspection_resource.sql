-- dot-rs: a designated resource server tied to its RFC 8707 resource (createapplication --resource).
-- Nullable, no default: every existing resource server keeps learning about every token.
ALTER TABLE `applications` ADD `resource` text;
