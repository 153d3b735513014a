-- Every queryable name of the schemas in scope: tables, views, materialized
-- views (shown as their columns), and the session's own temporary tables
-- (shown in pg_temp); each with the same privilege rules as tables.
LOAD '$libdir/sqlpilot';
CREATE SCHEMA rel;
SET search_path = rel, public;
CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2) NOT NULL, placed date);
SELECT sqlpilot_prompt('SELECT ');
-- a view and a materialized view created after the cache was built show at once
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE MATERIALIZED VIEW order_days AS SELECT placed, count(*) AS n FROM orders GROUP BY placed;
CREATE UNIQUE INDEX order_days_placed ON order_days (placed);
SELECT sqlpilot_prompt('SELECT ');
-- so does a temporary table of this session
CREATE TEMP TABLE scratch (k text NOT NULL, v int);
SELECT sqlpilot_prompt('SELECT * FROM scratch ');
-- named with sqlpilot.schemas: pg_temp means this session's temporary schema
SET sqlpilot.schemas = 'pg_temp';
SELECT sqlpilot_prompt('SELECT ');
RESET sqlpilot.schemas;
-- privileges: a role sees a view only with a privilege on it
CREATE ROLE sqlpilot_viewer;
GRANT USAGE ON SCHEMA rel TO sqlpilot_viewer;
GRANT SELECT ON big_orders TO sqlpilot_viewer;
SET ROLE sqlpilot_viewer;
SELECT sqlpilot_prompt('SELECT ');
RESET ROLE;
DROP TABLE scratch;
SELECT position('scratch' IN sqlpilot_prompt('SELECT ')) = 0 AS dropped_temp_gone;
RESET search_path;
DROP SCHEMA rel CASCADE;
DROP ROLE sqlpilot_viewer;
