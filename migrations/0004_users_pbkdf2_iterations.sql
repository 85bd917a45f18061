-- Written by hand (an expression index): imported Django PBKDF2 hashes by iteration count, read by
-- the login time floor (src/accounts/password-timing.ts). Partial, so it holds only those rows.
CREATE INDEX `users_pbkdf2_iterations_idx` ON `users` (CAST(substr(`password`, 15, instr(substr(`password`, 15), '$') - 1) AS INTEGER)) WHERE substr(`password`, 1, 14) = 'pbkdf2_sha256$';
