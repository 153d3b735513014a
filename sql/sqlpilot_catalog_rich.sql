-- The rendering of a rich schema read from the live catalog, pinned: every
-- kind of column, default, key, index and constraint the reader knows, in
-- every schema kind, for the superuser and for a role with column
-- privileges only, no USAGE on one schema and DELETE only on another table;
-- and which tables a small budget takes with their foreign-key neighbours.
LOAD '$libdir/sqlpilot';
CREATE SCHEMA "Rich";
CREATE SCHEMA rich_hidden;
CREATE SCHEMA rich_other;
CREATE TYPE "Rich".mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE rich_other.level AS ENUM ('low', 'high');
CREATE DOMAIN "Rich".posint AS int CHECK (VALUE > 0);
CREATE SEQUENCE "Rich".ticket_seq;
CREATE TABLE rich_hidden.vault (code text PRIMARY KEY, amount numeric);
CREATE TABLE rich_other.regions (id int PRIMARY KEY, name text UNIQUE);
CREATE TABLE "Rich"."Accounts" (
	"Region" int NOT NULL,
	"AcctNo" bigint NOT NULL,
	"Display Name" varchar(80) NOT NULL DEFAULT 'n/a',
	opened timestamptz(3) DEFAULT now(),
	PRIMARY KEY ("Region", "AcctNo"),
	FOREIGN KEY ("Region") REFERENCES rich_other.regions (id) ON UPDATE CASCADE
);
CREATE TABLE "Rich".events (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	serial_no serial,
	region int NOT NULL,
	acct bigint NOT NULL,
	kind "Rich".mood NOT NULL DEFAULT 'ok',
	price numeric(12,2) CHECK (price >= 0),
	code text REFERENCES rich_hidden.vault (code),
	"CamelCol" text,
	CONSTRAINT events_acct_fk FOREIGN KEY (region, acct)
		REFERENCES "Rich"."Accounts" ("Region", "AcctNo") ON DELETE SET NULL ON UPDATE RESTRICT,
	CONSTRAINT events_range CHECK (region BETWEEN 1 AND 99 AND acct <> 0),
	CONSTRAINT "Events Unique" UNIQUE (serial_no, "CamelCol")
);
CREATE TABLE "Rich".event_data (
	event_id bigint PRIMARY KEY REFERENCES "Rich".events (id),
	lvl rich_other.level,
	tags text[] DEFAULT '{}'::text[],
	grid int[][],
	ticket int DEFAULT nextval('"Rich".ticket_seq'),
	qty "Rich".posint,
	total numeric GENERATED ALWAYS AS (qty * 2) STORED,
	note char(4) COLLATE "C",
	at time(0) with time zone,
	span interval day to second,
	bits bit varying(8)
);
CREATE INDEX events_expr_idx ON "Rich".events (lower("CamelCol") DESC, region);
CREATE UNIQUE INDEX event_data_ticket_uidx ON "Rich".event_data (ticket) INCLUDE (qty);
CREATE INDEX events_partial_idx ON "Rich".events (acct DESC NULLS LAST) WHERE price > 1;
CREATE TABLE "Rich".measures (
	region int NOT NULL,
	day date NOT NULL,
	value double precision,
	PRIMARY KEY (region, day)
) PARTITION BY RANGE (day);
CREATE TABLE "Rich".measures_2024 PARTITION OF "Rich".measures
	FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE "Rich".measures_2025 PARTITION OF "Rich".measures
	FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE "Rich".self_ref (id int PRIMARY KEY, parent int REFERENCES "Rich".self_ref (id) ON DELETE CASCADE);
CREATE VIEW "Rich".event_view AS SELECT id, kind, "CamelCol" FROM "Rich".events;
CREATE MATERIALIZED VIEW "Rich".event_mv AS SELECT region, count(*) AS n FROM "Rich".events GROUP BY region;
ALTER TABLE "Rich".event_data DROP COLUMN bits;

SET search_path = "Rich", rich_other, public;
SET sqlpilot.max_tokens = 1;
SELECT sqlpilot_prompt('SELECT ');
-- the two large tables do not fit with the rest: named, they come first
SELECT sqlpilot_prompt('SELECT * FROM events ');
SELECT sqlpilot_prompt('SELECT * FROM event_data ');
-- a table outside the scope, named with its schema
SELECT sqlpilot_prompt('SELECT * FROM rich_hidden.vault v JOIN ');

-- a role with column privileges only (no key column of events), no USAGE on
-- rich_hidden, DELETE only on rich_other.regions
CREATE ROLE sqlpilot_rich;
GRANT USAGE ON SCHEMA "Rich", rich_other TO sqlpilot_rich;
GRANT SELECT (id, kind, price, "CamelCol", region, acct) ON "Rich".events TO sqlpilot_rich;
GRANT SELECT (lvl, tags, qty) ON "Rich".event_data TO sqlpilot_rich;
GRANT SELECT ("AcctNo", "Display Name") ON "Rich"."Accounts" TO sqlpilot_rich;
GRANT UPDATE ("Region") ON "Rich"."Accounts" TO sqlpilot_rich;
GRANT INSERT ON "Rich".self_ref, "Rich".measures TO sqlpilot_rich;
GRANT SELECT ON "Rich".event_view TO sqlpilot_rich;
GRANT DELETE ON rich_other.regions TO sqlpilot_rich;
GRANT SELECT ON rich_hidden.vault TO sqlpilot_rich;
SET ROLE sqlpilot_rich;
SELECT sqlpilot_prompt('SELECT ');
SELECT sqlpilot_prompt('SELECT * FROM events ');
SELECT sqlpilot_prompt('SELECT * FROM event_data ');
SELECT position('vault' IN split_part(sqlpilot_prompt('SELECT * FROM rich_hidden.vault v JOIN '),
	'### STATEMENT', 1)) = 0 AS no_usage_not_shown;
RESET ROLE;
-- with SELECT on the whole referenced table, the composite foreign key shows
GRANT SELECT ON "Rich"."Accounts" TO sqlpilot_rich;
SET ROLE sqlpilot_rich;
SELECT split_part(split_part(sqlpilot_prompt('SELECT * FROM events '), 'CREATE TABLE "Rich".events (', 2),
	')' || chr(10), 1);
RESET ROLE;

-- rows are read in the statement's snapshot: a table the running statement
-- creates itself is listed, but has no column yet
CREATE TABLE "Rich".ctas AS SELECT sqlpilot_prompt('SELECT * FROM ctas ') AS p;
SELECT position(E'CREATE TABLE "Rich".ctas (\n)' IN p) > 0 AS listed_without_columns FROM "Rich".ctas;
SELECT position(E'CREATE TABLE "Rich".ctas (\n\tp STRING' IN replace(sqlpilot_prompt('SELECT * FROM ctas '), '        ', E'\t')) > 0
	AS columns_after FROM "Rich".ctas LIMIT 1;
DROP TABLE "Rich".ctas;

-- small budgets: the tables the prefix names, then their foreign-key
-- neighbours (either way), then the rest in catalog order
CREATE FUNCTION rich_tables(prefix text, budget int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('sqlpilot.max_prompt_tokens', budget::text, true);
	RETURN (SELECT string_agg(m[1], ' ')
			FROM regexp_matches(sqlpilot_prompt(prefix), 'CREATE TABLE (\S+) \(', 'g') m);
END $$;
BEGIN;
SELECT b, rich_tables('SELECT * FROM "Accounts" a JOIN ', b) FROM (VALUES (400), (600), (800)) v(b);
SELECT b, rich_tables('SELECT * FROM regions r JOIN ', b) FROM (VALUES (400), (600), (800)) v(b);
SELECT b, rich_tables('SELECT * FROM self_ref s JOIN ', b) FROM (VALUES (300), (500)) v(b);
COMMIT;
DROP FUNCTION rich_tables;
RESET sqlpilot.max_tokens;
RESET search_path;
DROP SCHEMA "Rich", rich_hidden, rich_other CASCADE;
DROP ROLE sqlpilot_rich;
