-- Branch sec-cost (issue 22, Medium 2 and L-4); written by hand (expression and partial indexes;
-- drizzle-kit cannot write these; snapshot 0020 reconciled on merge). Read by the time floors of password
-- checks (src/accounts/password-timing.ts) and of failed client authentications (src/oauth/client-auth.ts).
-- Imported argon2 hashes by memory × passes; the hashes this project writes are left out.
CREATE INDEX `users_argon2_cost_idx` ON `users` (CAST(substr(`password`, instr(`password`, '$m=') + 3) AS INTEGER) * CAST(substr(`password`, instr(`password`, ',t=') + 3) AS INTEGER)) WHERE substr(`password`, 1, 7) = 'argon2$' AND substr(`password`, 1, 37) <> 'argon2$argon2id$v=19$m=19456,t=2,p=1$';--> statement-breakpoint
-- Imported Django client secrets not yet replaced by a digest.
CREATE INDEX `applications_django_client_secret_idx` ON `applications` (`django_client_secret`) WHERE `django_client_secret` IS NOT NULL;
