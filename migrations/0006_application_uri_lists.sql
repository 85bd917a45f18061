-- Written by hand: the application list columns change from space-joined text to JSON arrays
-- (src/db/string-list.ts). Each value is split on spaces in order; empty pieces and repeats are
-- dropped; json_quote escapes each piece (quotes, backslashes, control characters stay valid JSON).
-- A value that already is a JSON array is left alone (no grant name or URI starts with '['), so
-- running this twice changes nothing. Columns, defaults and every other row stay as they are.
WITH RECURSIVE pieces(id, rest, list) AS (
	SELECT id, `grant_types` || ' ', '' FROM `applications` WHERE `grant_types` NOT LIKE '[%'
	UNION ALL
	SELECT id, substr(rest, instr(rest, ' ') + 1), CASE
		WHEN instr(rest, ' ') = 1 THEN list
		WHEN instr(',' || list || ',', ',' || json_quote(substr(rest, 1, instr(rest, ' ') - 1)) || ',') > 0 THEN list
		WHEN list = '' THEN json_quote(substr(rest, 1, instr(rest, ' ') - 1))
		ELSE list || ',' || json_quote(substr(rest, 1, instr(rest, ' ') - 1))
	END
	FROM pieces WHERE rest <> ''
)
UPDATE `applications`
SET `grant_types` = (SELECT '[' || list || ']' FROM pieces WHERE pieces.id = `applications`.id AND rest = '')
WHERE `grant_types` NOT LIKE '[%';
--> statement-breakpoint
WITH RECURSIVE pieces(id, rest, list) AS (
	SELECT id, `redirect_uris` || ' ', '' FROM `applications` WHERE `redirect_uris` NOT LIKE '[%'
	UNION ALL
	SELECT id, substr(rest, instr(rest, ' ') + 1), CASE
		WHEN instr(rest, ' ') = 1 THEN list
		WHEN instr(',' || list || ',', ',' || json_quote(substr(rest, 1, instr(rest, ' ') - 1)) || ',') > 0 THEN list
		WHEN list = '' THEN json_quote(substr(rest, 1, instr(rest, ' ') - 1))
		ELSE list || ',' || json_quote(substr(rest, 1, instr(rest, ' ') - 1))
	END
	FROM pieces WHERE rest <> ''
)
UPDATE `applications`
SET `redirect_uris` = (SELECT '[' || list || ']' FROM pieces WHERE pieces.id = `applications`.id AND rest = '')
WHERE `redirect_uris` NOT LIKE '[%';
--> statement-breakpoint
WITH RECURSIVE pieces(id, rest, list) AS (
	SELECT id, `post_logout_redirect_uris` || ' ', '' FROM `applications` WHERE `post_logout_redirect_uris` NOT LIKE '[%'
	UNION ALL
	SELECT id, substr(rest, instr(rest, ' ') + 1), CASE
		WHEN instr(rest, ' ') = 1 THEN list
		WHEN instr(',' || list || ',', ',' || json_quote(substr(rest, 1, instr(rest, ' ') - 1)) || ',') > 0 THEN list
		WHEN list = '' THEN json_quote(substr(rest, 1, instr(rest, ' ') - 1))
		ELSE list || ',' || json_quote(substr(rest, 1, instr(rest, ' ') - 1))
	END
	FROM pieces WHERE rest <> ''
)
UPDATE `applications`
SET `post_logout_redirect_uris` = (SELECT '[' || list || ']' FROM pieces WHERE pieces.id = `applications`.id AND rest = '')
WHERE `post_logout_redirect_uris` NOT LIKE '[%';
