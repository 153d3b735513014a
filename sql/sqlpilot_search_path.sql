-- Every catalog query of the extension resolves only to pg_catalog, whatever
-- the caller's search_path: a role that may CREATE in a schema on the
-- caller's path defines operators that would be an exact match for the
-- extension's expressions (int2 & int4, oid = oid, ...); they must never run,
-- least of all as the superuser calling sqlpilot_*.
LOAD '$libdir/sqlpilot';
CREATE ROLE sqlpilot_attacker;
CREATE SCHEMA attacker AUTHORIZATION sqlpilot_attacker;
SET ROLE sqlpilot_attacker;
CREATE TABLE attacker.hits (who name, op text);
CREATE TABLE attacker.bait (id int PRIMARY KEY, parent int REFERENCES attacker.bait (id),
	CHECK (id > 0));
CREATE FUNCTION attacker.record(op text) RETURNS void LANGUAGE plpgsql
	SET search_path = pg_catalog AS $$
BEGIN
	INSERT INTO attacker.hits VALUES (current_user, op);
	RAISE NOTICE 'attacker operator % ran as %', op, current_user;
END $$;
CREATE FUNCTION attacker.and_i2_i4(int2, int4) RETURNS int4 LANGUAGE plpgsql
	SET search_path = pg_catalog AS $$
BEGIN
	PERFORM attacker.record('int2 & int4');
	RETURN $1::int4 OPERATOR(pg_catalog.&) $2;
END $$;
CREATE OPERATOR attacker.& (LEFTARG = int2, RIGHTARG = int4, FUNCTION = attacker.and_i2_i4);
CREATE FUNCTION attacker.eq_oid(oid, oid) RETURNS bool LANGUAGE plpgsql
	SET search_path = pg_catalog AS $$
BEGIN
	PERFORM attacker.record('oid = oid');
	RETURN $1 OPERATOR(pg_catalog.=) $2;
END $$;
CREATE OPERATOR attacker.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = attacker.eq_oid);
CREATE FUNCTION attacker.gt_i2_i4(int2, int4) RETURNS bool LANGUAGE plpgsql
	SET search_path = pg_catalog AS $$
BEGIN
	PERFORM attacker.record('int2 > int4');
	RETURN $1 OPERATOR(pg_catalog.>) $2;
END $$;
CREATE OPERATOR attacker.> (LEFTARG = int2, RIGHTARG = int4, FUNCTION = attacker.gt_i2_i4);
CREATE FUNCTION attacker.minus_i4(int4, int4) RETURNS int4 LANGUAGE plpgsql
	SET search_path = pg_catalog AS $$
BEGIN
	PERFORM attacker.record('int4 - int4');
	RETURN $1 OPERATOR(pg_catalog.-) $2;
END $$;
CREATE OPERATOR attacker.- (LEFTARG = int4, RIGHTARG = int4, FUNCTION = attacker.minus_i4);
-- the operators work (for the attacker's own queries)
SET search_path = attacker, pg_catalog;
SELECT 1::oid = 1::oid AS attacker_eq_works;
TRUNCATE attacker.hits;
RESET search_path;
RESET ROLE;

-- attacker's schema first, pg_catalog after it
SET search_path = attacker, pg_catalog;
SELECT position('CREATE TABLE attacker.bait' IN public.sqlpilot_prompt('SELECT * FROM ')) > 0 AS bait_shown;
SELECT public.sqlpilot_complete('SELECT * FROM bait WHERE ') IS NOT NULL AS completed;
-- and the caller's search_path is as it was
SHOW search_path;
-- attacker's schema first, pg_catalog implicit (searched first)
SET search_path = attacker;
SELECT position('CREATE TABLE attacker.bait' IN public.sqlpilot_prompt('SELECT * FROM ')) > 0 AS bait_shown;
RESET search_path;
-- nothing of the attacker's ran
SELECT count(*) AS attacker_calls FROM attacker.hits;

DROP SCHEMA attacker CASCADE;
DROP ROLE sqlpilot_attacker;
