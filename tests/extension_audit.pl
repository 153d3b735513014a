#!/usr/bin/perl
# An attacker's look at the extension, on a temporary cluster
# (PostgreSQL::Test::Cluster):
# - a table another session drops while the call reads its definition (the
#   listing saw it, the statement's snapshot still holds its rows, the
#   catalog functions no longer find it) is left out; the backend used to
#   crash on the NULL CHECK text pg_get_expr gives then;
# - the lazy listing (tables past the listed ones found by name or foreign
#   key) shows no table, and no referenced column, the role may not use,
#   and runs no operator of a schema on the caller's search_path;
# - the catalog reader against odd grants and catalogs: column privileges,
#   USAGE without a table privilege and the reverse, views, partitions,
#   SECURITY DEFINER, pg_read_all_data, ALTER ROLE NOINHERIT / NOSUPERUSER in
#   another session, a column, default, check or index of a hidden table's
#   row type, partitions' clones of a foreign key, user functions in
#   defaults (never run), odd names, 1,600 columns, pg_catalog in scope, and
#   columns, types and functions dropped by another session during a call;
# - sqlpilot_check(), the check behind `valid` (PREPARE in a subtransaction
#   that is rolled back), leaves no lock, transaction id, prepared statement,
#   temporary table or setting behind, turns an error inside into false
#   (statement_timeout: tests/extension_validate.pl) but a deadlock while
#   it waits into NULL, and refuses SELECT ... INTO a hidden table exactly
#   like a missing one;
# - sqlpilot_completions() with odd arguments: a clear error or no row.
# Uses the staged install of `make check` and a random model made with
# $SQLPILOT_BUILD/sqlpilot init (tests/SqlpilotTAP.pm).
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use lib dirname(abs_path($0));
our ($root, $build);
use SqlpilotTAP 'audit';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = start_node('sqlpilot_audit', "$ENV{TESTDIR}/small.model", "restart_after_crash = off\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION sqlpilot;
	CREATE TABLE keep (id int PRIMARY KEY);
});

# Runs $sql in background session $s and waits until it waits for a lock.
sub start_blocked
{
	my ($s, $sql) = @_;
	my $pid = $s->query_safe('SELECT pg_backend_pid()');
	$s->{stdin} .= "$sql;\n";
	$s->{run}->pump_nb();
	return $node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_locks WHERE pid = $pid AND NOT granted");
}

# ---- a table dropped by another session while its definition is read ----
# Session b drops the table and holds pg_constraint until it commits; session
# a (whose cache a CREATE TABLE has just invalidated) lists it (or, past the
# listed tables, finds it by name), reads its columns, then waits for
# pg_constraint; b commits; a reads its foreign keys, indexes and checks
# from its statement's snapshot while the catalog no longer knows the table.
# Three ways in: listed and not named, listed and named (its foreign keys
# read first), past the listed ones (budget 800: 201 of 231 listed) and named.
$node->safe_psql('postgres', q{
	CREATE SCHEMA race;
	DO $$
	BEGIN
		FOR i IN 100..329 LOOP
			EXECUTE format('CREATE TABLE race.a%s (id int)', i);
		END LOOP;
	END $$;
});
for my $case (['public', 'doomed', 'SELECT ', ''],
	['public', 'doomed', 'SELECT * FROM doomed JOIN ', ''],
	['race', 'zdoomed', 'SELECT * FROM zdoomed JOIN ', 'SET search_path = race, public; SET sqlpilot.max_prompt_tokens = 800'])
{
	my ($schema, $table, $prefix, $set) = @$case;
	my $what = "$schema.$table, '$prefix'";
	$node->safe_psql('postgres', "DROP TABLE IF EXISTS $schema.$table, other; "
		  . "CREATE TABLE $schema.$table (id int PRIMARY KEY, qty int CHECK (qty > 0), "
		  . "keep_id int REFERENCES keep (id)); CREATE INDEX ON $schema.$table ((qty + 1))");
	my $a = $node->background_psql('postgres', on_error_stop => 0);
	$a->query_safe("SET sqlpilot.max_tokens = 1; $set");
	like($a->query_safe("SELECT sqlpilot_prompt('$prefix')"), qr/CREATE TABLE $schema\.$table /,
		"$what: the table is shown before the drop");
	$node->safe_psql('postgres', 'CREATE TABLE other (id int)');
	my $b = $node->background_psql('postgres');
	$b->query_safe("BEGIN; DROP TABLE $schema.$table; LOCK TABLE pg_catalog.pg_constraint IN ACCESS EXCLUSIVE MODE");
	ok(start_blocked($a, "SELECT sqlpilot_prompt('$prefix')"),
		"$what: the call waits for the catalog the dropping session holds");
	$b->query_safe('COMMIT');
	$b->quit;
	my $out = eval { $a->query('SELECT 42') } // '';
	like($out, qr/### STATEMENT.*\b42$/s, "$what: the backend survives a drop between listing and reading")
	  or diag($@);
	unlike($out, qr/CREATE TABLE $schema\.$table /, "$what: and leaves the dropped table out");
	eval { $a->quit };
	is($node->safe_psql('postgres', 'SELECT 1'), '1', "$what: server up");
}

# ---- privileges ----
# A role with SELECT on child and only DELETE on parent sees parent without
# columns: child's foreign key must not name parent's column.
$node->safe_psql('postgres', q{
	CREATE ROLE r_child;
	CREATE TABLE parent (hidden_key int PRIMARY KEY, name text);
	CREATE TABLE child (id int PRIMARY KEY, parent_ref int REFERENCES parent (hidden_key));
	GRANT SELECT ON child TO r_child;
	GRANT DELETE ON parent TO r_child;
});
my $p = $node->safe_psql('postgres', q{SET ROLE r_child; SET sqlpilot.max_tokens = 1;
	SELECT sqlpilot_prompt('SELECT * FROM child JOIN ')});
like($p, qr/CREATE TABLE public\.child /, 'DELETE on the referenced table only: the referencing table shows');
unlike($p, qr/hidden_key/, 'but no foreign key names a column of the referenced table the role may not use');
$node->safe_psql('postgres', 'GRANT SELECT (hidden_key) ON parent TO r_child');
like($node->safe_psql('postgres', q{SET ROLE r_child; SET sqlpilot.max_tokens = 1;
	SELECT sqlpilot_prompt('SELECT * FROM child JOIN ')}), qr/REFERENCES public\.parent\(hidden_key\)/,
	'once the column is granted, the foreign key shows');

# A lazy listing (budget 300: the first 76 tables are listed) of 200 tables
# in schema lazy, a table past them named, its neighbour, one out of scope.
$node->safe_psql('postgres', q{
	CREATE SCHEMA lazy;
	CREATE SCHEMA outside;
	DO $$
	BEGIN
		FOR i IN 100..299 LOOP
			EXECUTE format('CREATE TABLE lazy.t%s (id int PRIMARY KEY)', i);
		END LOOP;
	END $$;
	CREATE TABLE lazy.t245_kid (id int PRIMARY KEY, t245_id int REFERENCES lazy.t245 (id));
	CREATE TABLE outside.far (id int PRIMARY KEY);
	CREATE ROLE r_lazy;
	GRANT USAGE ON SCHEMA lazy, outside TO r_lazy;
	GRANT SELECT ON lazy.t245, lazy.t111, outside.far TO r_lazy;
});
my $l = $node->background_psql('postgres');
$l->query_safe(q{SET search_path = lazy, public; SET sqlpilot.max_prompt_tokens = 300; SET sqlpilot.max_tokens = 1;
	SET ROLE r_lazy});
my $lp = $l->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM t245 JOIN t246 JOIN outside.far JOIN ')});
like($lp, qr/CREATE TABLE lazy\.t245 /, 'lazy listing: a granted table past the listed ones shows when named');
unlike($lp, qr/CREATE TABLE \S*(t246|t245_kid|t1(?!11)\d\d) /, 'never a named table, neighbour or listed table the role may not use');
like($l->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM outside.far JOIN ')}), qr/CREATE TABLE outside\.far /,
	'a granted table out of scope shows when named with its schema');
$node->safe_psql('postgres', 'REVOKE USAGE ON SCHEMA lazy FROM r_lazy');
unlike($l->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM t245 JOIN t111 JOIN ')}), qr/CREATE TABLE lazy\./,
	'USAGE on the schema revoked in another session: none of its tables at the next call');
$node->safe_psql('postgres', 'GRANT USAGE ON SCHEMA lazy TO r_lazy');
$l->quit;

# ---- the lazy listing resolves only to pg_catalog ----
# A role that may CREATE in a schema first on the caller's search_path
# defines every operator the extension's catalog reads compare with; none may
# run while a superuser's call lists lazily, looks up a named table past the
# listed ones, its foreign keys, and a table of a schema out of scope.
$node->safe_psql('postgres', q{
	CREATE ROLE r_attacker;
	CREATE SCHEMA attacker AUTHORIZATION r_attacker;
	SET ROLE r_attacker;
	CREATE TABLE attacker.hits (op text);
	CREATE FUNCTION attacker.hit(op text) RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog
		AS $$ BEGIN INSERT INTO attacker.hits VALUES (op); END $$;
	CREATE FUNCTION attacker.eq_oid(oid, oid) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog
		AS $$ BEGIN PERFORM attacker.hit('oid = oid'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
	CREATE OPERATOR attacker.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = attacker.eq_oid);
	CREATE FUNCTION attacker.eq_name(name, name) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog
		AS $$ BEGIN PERFORM attacker.hit('name = name'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
	CREATE OPERATOR attacker.= (LEFTARG = name, RIGHTARG = name, FUNCTION = attacker.eq_name);
	CREATE FUNCTION attacker.eq_char("char", "char") RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog
		AS $$ BEGIN PERFORM attacker.hit('char = char'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
	CREATE OPERATOR attacker.= (LEFTARG = "char", RIGHTARG = "char", FUNCTION = attacker.eq_char);
	CREATE FUNCTION attacker.gt_i2(int2, int2) RETURNS bool LANGUAGE plpgsql SET search_path = pg_catalog
		AS $$ BEGIN PERFORM attacker.hit('int2 > int2'); RETURN $1 OPERATOR(pg_catalog.>) $2; END $$;
	CREATE OPERATOR attacker.> (LEFTARG = int2, RIGHTARG = int2, FUNCTION = attacker.gt_i2);
	CREATE FUNCTION attacker.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql
		SET search_path = pg_catalog
		AS $$ BEGIN PERFORM attacker.hit('unnest'); RETURN QUERY SELECT pg_catalog.unnest($1); END $$;
	SELECT 1::oid = 1::oid AS works;
});
is($node->safe_psql('postgres', q{SET search_path = attacker, lazy, pg_catalog;
	SELECT 1::oid = 1::oid; SELECT count(*) FROM attacker.hits}), "t\n1",
	'the attacker\'s operator runs for an ordinary query on that search_path');
$node->safe_psql('postgres', 'TRUNCATE attacker.hits');
my $v = $node->safe_psql('postgres', q{SET search_path = attacker, lazy, pg_catalog;
	SET sqlpilot.max_prompt_tokens = 600; SET sqlpilot.max_tokens = 1;
	SELECT public.sqlpilot_prompt('SELECT * FROM t245 JOIN outside.far JOIN ');
	SELECT count(*) FROM public.sqlpilot_completions('SELECT * FROM t245 k JOIN t245_kid ', 2);
	SHOW search_path});
like($v, qr/CREATE TABLE lazy\.t245_kid .*CREATE TABLE outside\.far /s,
	'a superuser\'s lazy call finds the named tables, their neighbour and the one out of scope');
like($v, qr/^attacker, lazy, pg_catalog$/m, "and the caller's search_path is as it was");
is($node->safe_psql('postgres', 'SELECT count(*) FROM attacker.hits'), '0',
	"none of the attacker's operators or functions ran");

# ---- the catalog reader against odd grants and catalogs ----
# What a role sees is what has_table_privilege / has_column_privilege and
# USAGE on the schema say; no text of a column, default, check, index or
# foreign key may name a table it may not use.
$node->safe_psql('postgres', q{
	CREATE SCHEMA hid;
	CREATE TABLE hid.hidden_tab (a int, b int);
	CREATE DOMAIN hid.secret_dom AS int CHECK (VALUE > 0);
	CREATE TABLE vis_comp (id int, h hid.hidden_tab, ha hid.hidden_tab[]);
	CREATE TABLE vis_expr (id int, x int DEFAULT (ROW(1, 2)::hid.hidden_tab).a
		CHECK ((ROW(x, x)::hid.hidden_tab).a > 0), y int DEFAULT 7 CHECK (y > 0), d hid.secret_dom);
	CREATE INDEX vis_expr_idx ON vis_expr (((ROW(id, x)::hid.hidden_tab).b));
	CREATE INDEX vis_expr_plain ON vis_expr (y);
	CREATE TABLE colpriv (id int PRIMARY KEY, secret_col int UNIQUE, other int DEFAULT 5,
		CHECK (secret_col > other), FOREIGN KEY (secret_col) REFERENCES colpriv (id));
	CREATE INDEX colpriv_expr ON colpriv ((other + secret_col));
	CREATE INDEX colpriv_ok ON colpriv (other);
	CREATE SCHEMA nousage;
	CREATE TABLE nousage.sel_no_usage (id int);
	CREATE SCHEMA usage_only;
	CREATE TABLE usage_only.no_priv (id int);
	CREATE TABLE parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
	CREATE TABLE parted_p1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
	CREATE TABLE parted_p2 PARTITION OF parted FOR VALUES FROM (10) TO (20);
	CREATE TABLE refpart (id int, pid int REFERENCES parted (id));
	CREATE TABLE side_hits (x text);
	CREATE FUNCTION side() RETURNS int LANGUAGE plpgsql
		AS $$ BEGIN INSERT INTO public.side_hits VALUES ('ran'); RETURN 1; END $$;
	CREATE TABLE defs (id int DEFAULT side() CHECK (id > side() - 5));
	CREATE TABLE rls_tab (id int);
	ALTER TABLE rls_tab ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
	CREATE POLICY no_rows ON rls_tab USING (side() < 0);
	CREATE TYPE public.int4 AS (x int);
	CREATE TABLE shadow (a pg_catalog.int4, b public.int4);
	CREATE ROLE r_odd;
	GRANT SELECT ON vis_comp, vis_expr, refpart, parted_p1, defs, rls_tab, shadow TO r_odd;
	GRANT SELECT (id, other) ON colpriv TO r_odd;
	GRANT SELECT ON nousage.sel_no_usage TO r_odd;
	GRANT USAGE ON SCHEMA usage_only TO r_odd;
	CREATE FUNCTION definer_prompt(p text) RETURNS text LANGUAGE sql SECURITY DEFINER
		SET search_path = public AS $$ SELECT public.sqlpilot_prompt(p) $$;
	GRANT EXECUTE ON FUNCTION definer_prompt(text) TO r_odd;
	CREATE TABLE definer_only (id int);
	CREATE ROLE r_all IN ROLE pg_read_all_data;
	CREATE VIEW v_over_hidden AS SELECT a AS va FROM hid.hidden_tab;
	CREATE MATERIALIZED VIEW mv_hidden AS SELECT a AS ma FROM hid.hidden_tab;
	GRANT SELECT ON v_over_hidden TO r_odd;
	CREATE TABLE nousage.target_pk (id int PRIMARY KEY);
	CREATE TABLE fk_to_nousage (id int, t int REFERENCES nousage.target_pk (id));
	GRANT SELECT ON nousage.target_pk, fk_to_nousage TO r_odd;
});
my $o = $node->background_psql('postgres');
$o->query_safe(q{SET sqlpilot.max_tokens = 1; SET sqlpilot.max_prompt_tokens = 4000;
	SET search_path = public, nousage, usage_only; SET ROLE r_odd});
my $op = $o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM vis_comp JOIN vis_expr JOIN ')});
like($op, qr/CREATE TABLE public\.vis_comp \(\s*id INT4 NULL\s*\)/,
	'a column of the row type of a table the role may not use is left out');
like($op, qr/CREATE TABLE public\.vis_expr \(\s*id INT4 NULL,\s*x INT4 NULL,\s*y INT4 NULL DEFAULT 7,\s*d hid\.secret_dom NULL,\s*INDEX vis_expr_plain \(y ASC\),\s*CONSTRAINT vis_expr_y_check CHECK \(y > 0\)\s*\)/,
	'a default, check or index expression of that row type is left out, the others show');
unlike($op, qr/hidden_tab/, 'the hidden table is named nowhere');
$o->query_safe('RESET ROLE');
like($o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM vis_comp JOIN vis_expr JOIN ')}),
	qr/h hid\.hidden_tab NULL,\s*ha hid\.hidden_tab\[\] NULL.*INDEX vis_expr_idx .*CONSTRAINT vis_expr_x_check /s,
	'a role that may use the table sees the columns, the index and the check');
$o->query_safe('SET ROLE r_odd');
my $cp = $o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM colpriv JOIN ')});
like($cp, qr/CREATE TABLE public\.colpriv \(\s*id INT4 NOT NULL,\s*other INT4 NULL DEFAULT 5,\s*CONSTRAINT colpriv_pkey PRIMARY KEY \(id ASC\),\s*INDEX colpriv_ok \(other ASC\)\s*\)/,
	'column privileges: the granted columns, the key and index on them, nothing else');
unlike($cp, qr/secret_col|colpriv_expr|colpriv_check/,
	'no unique key, foreign key, expression index or check names the hidden column');
my $nu = $o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM sel_no_usage JOIN no_priv JOIN nousage.sel_no_usage JOIN usage_only.no_priv JOIN ')});
unlike($nu, qr/CREATE TABLE \S*(sel_no_usage|no_priv) /,
	'SELECT without USAGE on the schema, USAGE without a privilege: neither table, named or not');
like($o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM fk_to_nousage JOIN ')}),
	qr/CREATE TABLE public\.fk_to_nousage \(\s*id INT4 NULL,\s*t INT4 NULL\s*\)/,
	'a foreign key to a granted table in a schema without USAGE is left out');
my $rp = $o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM refpart JOIN ')});
like($rp, qr/CREATE TABLE public\.refpart \(\s*id INT4 NULL,\s*pid INT4 NULL\s*\)/,
	'a foreign key to a partitioned table the role may not use is left out');
unlike($rp, qr/parted_p\d/, "and so are its partitions' clones of it, though the role may use the partition");
my $vp = $o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM v_over_hidden JOIN mv_hidden JOIN parted_p1 JOIN parted JOIN ')});
like($vp, qr/CREATE TABLE public\.v_over_hidden \(\s*va INT4 NULL\s*\)/,
	'a granted view over a hidden table shows its own columns only');
unlike($vp, qr/CREATE TABLE \S*(mv_hidden|parted_p1|parted) /,
	'never a materialized view not granted, a granted partition, or its parent not granted');
$node->safe_psql('postgres', 'GRANT SELECT ON parted TO r_odd');
like($o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM parted_p1 JOIN parted JOIN ')}),
	qr/^(?!.*parted_p1 \().*CREATE TABLE public\.parted \(/s,
	'once the parent is granted it shows, and still no partition');
$o->query_safe('RESET ROLE');
my $rs = $o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM refpart JOIN ')});
like($rs, qr/FOREIGN KEY \(pid\) REFERENCES public\.parted\(id\)/, 'a superuser sees the foreign key');
unlike($rs, qr/parted_p\d/, 'once, never to a partition');
$o->query_safe('SET ROLE r_odd');
like($o->query_safe(q{SELECT position('TABLE public.definer_only ' in definer_prompt('SELECT * FROM definer_only JOIN ')) > 0,
	position('TABLE public.definer_only ' in sqlpilot_prompt('SELECT * FROM definer_only JOIN ')) > 0,
	position('TABLE public.definer_only ' in definer_prompt('SELECT * FROM definer_only JOIN ')) > 0}),
	qr/^t\|f\|t$/, "SECURITY DEFINER: the definer's rights count inside, the caller's outside, call after call");
my $dp = $o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM defs JOIN rls_tab JOIN shadow JOIN ')});
like($dp, qr/id INT4 NULL DEFAULT public\.side\(\),\s*CONSTRAINT defs_id_check CHECK \(id > \(public\.side\(\) - 5\)\)/,
	"a default and a check calling a user function are spelled, qualified");
like($dp, qr/CREATE TABLE public\.rls_tab \(\s*id INT4 NULL\s*\)/, 'a table under row level security shows');
like($dp, qr/CREATE TABLE public\.shadow \(\s*a INT4 NULL,\s*b public\.int4 NULL\s*\)/,
	'a type named like a catalog type, first on search_path: spelled qualified, the catalog one not');
is($o->query_safe(q{RESET ROLE; SELECT count(*) FROM side_hits}), '0',
	'no default, check or policy function ran');
$o->query_safe('SET ROLE r_all');
like($o->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM colpriv JOIN sel_no_usage JOIN no_priv JOIN ')}),
	qr/(?=.*CREATE TABLE public\.colpriv \(\s*id INT4 NOT NULL,\s*secret_col )(?=.*CREATE TABLE nousage\.sel_no_usage )(?=.*CREATE TABLE usage_only\.no_priv )/s,
	'pg_read_all_data: every table and column of every schema');
$o->quit;

# A role's rights change in another session with no relcache or membership
# change (NOINHERIT, NOSUPERUSER): the next call lists again.
$node->safe_psql('postgres', q{
	CREATE ROLE boss;
	CREATE ROLE r_inh IN ROLE boss;
	CREATE ROLE r_super SUPERUSER;
	CREATE SCHEMA bs AUTHORIZATION boss;
	GRANT USAGE ON SCHEMA bs TO PUBLIC;
	SET ROLE boss;
	CREATE TABLE bs.boss_only (id int);
});
for my $case (['r_inh', 'NOINHERIT'], ['r_super', 'NOSUPERUSER'])
{
	my ($role, $change) = @$case;
	my $r = $node->background_psql('postgres');
	$r->query_safe("SET sqlpilot.max_tokens = 1; SET search_path = bs, public; SET ROLE $role");
	like($r->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM boss_only JOIN ')}),
		qr/CREATE TABLE bs\.boss_only /, "$role sees the table before ALTER ROLE $change");
	$node->safe_psql('postgres', "ALTER ROLE $role $change");
	is($r->query_safe(q{SELECT has_table_privilege('bs.boss_only', 'SELECT')}), 'f',
		"after ALTER ROLE $role $change in another session it may not use it");
	unlike($r->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM boss_only JOIN ')}),
		qr/CREATE TABLE bs\.boss_only /, 'and the next call no longer shows it');
	$r->quit;
}

# Odd names and sizes: quoted, multi-line and non-ASCII names, a schema named
# like pg_catalog, a table of 1,600 columns.
$node->safe_psql('postgres', q{
	CREATE SCHEMA "Pg_catalog";
	CREATE TABLE "Pg_catalog".pg_class (x int);
	CREATE TABLE "we""ird
name" (id int, "col
two" int, "ünï" text);
	DO $$
	BEGIN
		EXECUTE 'CREATE TABLE wide1600 (' ||
			(SELECT string_agg(format('c%s int', i), ', ') FROM generate_series(1, 1600) i) || ')';
	END $$;
});
my $q = $node->background_psql('postgres');
$q->query_safe('SET sqlpilot.max_tokens = 1');
like($q->query_safe(q{SET sqlpilot.schemas = '"Pg_catalog"'; SELECT sqlpilot_prompt('SELECT * FROM ')}),
	qr/CREATE TABLE "Pg_catalog"\.pg_class \(\s*x INT4 NULL\s*\)/,
	'a schema named like pg_catalog is shown quoted, apart from it');
like($q->query_safe(q{RESET sqlpilot.schemas; SELECT sqlpilot_prompt(E'SELECT * FROM "we""ird\nname" JOIN ')}),
	qr/CREATE TABLE public\."we""ird\nname" \(\s*id INT4 NULL,\s*"col\ntwo" INT4 NULL,\s*"ünï" STRING NULL\s*\)/,
	'names with quotes, newlines and non-ASCII letters are quoted');
like($q->query_safe(q{SELECT sqlpilot_prompt('SELECT c1600 FROM wide1600 JOIN ')}), qr/### STATEMENT/,
	'a table of 1,600 columns: the call returns');
$q->query_safe(q{SET ROLE r_odd; SET sqlpilot.schemas = 'pg_catalog, information_schema';
	SET sqlpilot.list_all_tables = on; SET sqlpilot.max_prompt_tokens = 4000});
my $cat = $q->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM pg_am JOIN pg_authid JOIN pg_statistic JOIN pg_shadow JOIN ')});
ok($cat =~ /CREATE TABLE pg_catalog\.pg_am / && $cat !~ /CREATE TABLE \S*(pg_authid|pg_statistic|pg_shadow) /,
	'pg_catalog in scope of a plain role: pg_am shows, the catalogs revoked from PUBLIC never');
ok($q->query_safe(q{SELECT sqlpilot_stats()->>'last_tables_total'}) > 100, 'and every other catalog table and view is listed');
$q->query_safe('RESET ROLE; RESET sqlpilot.schemas; RESET sqlpilot.list_all_tables; RESET sqlpilot.max_prompt_tokens');
$q->quit;

# Another session drops columns (and the check, index and foreign key on
# them), a type, a default's function and renames the table while the call
# waits for pg_constraint: the call reads the rows of its snapshot, and
# leaves out what it can no longer spell.
$node->safe_psql('postgres', q{
	CREATE TYPE mood AS ENUM ('calm');
	CREATE FUNCTION five() RETURNS int LANGUAGE sql AS 'SELECT 5';
	CREATE TABLE racy (id int PRIMARY KEY, m mood, d int DEFAULT five(), CHECK (id > 0 AND m IS NOT NULL),
		k int REFERENCES keep (id));
	CREATE INDEX racy_k ON racy (k);
});
{
	my $a = $node->background_psql('postgres', on_error_stop => 0);
	$a->query_safe('SET sqlpilot.max_tokens = 1');
	like($a->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM racy JOIN ')}), qr/m public\.mood NULL/,
		'racy: shown before the DDL');
	$node->safe_psql('postgres', 'CREATE TABLE racy_other (id int)');
	my $b = $node->background_psql('postgres');
	$b->query_safe('BEGIN; ALTER TABLE racy DROP COLUMN m, DROP COLUMN k; DROP TYPE mood; ALTER TABLE racy ALTER d DROP DEFAULT; '
		  . 'DROP FUNCTION five(); ALTER TABLE racy RENAME TO racy2; '
		  . 'LOCK TABLE pg_catalog.pg_constraint IN ACCESS EXCLUSIVE MODE');
	ok(start_blocked($a, q{SELECT sqlpilot_prompt('SELECT * FROM racy JOIN ')}),
		'racy: the call waits for the catalog the altering session holds');
	$b->query_safe('COMMIT');
	$b->quit;
	my $out = eval { $a->query('SELECT 42') } // '';
	like($out, qr/CREATE TABLE public\.racy \(\s*id INT4 NOT NULL,\s*m \?\?\? NULL,\s*d INT4 NULL,\s*k INT4 NULL,\s*CONSTRAINT racy_pkey PRIMARY KEY \(id ASC\)\s*\).*\b42$/s,
		'racy: the call answers from its snapshot, leaving out the default and check it cannot spell')
	  or diag($@);
	unlike($a->{stderr}, qr/ERROR/, 'racy: and raises no error (it said "cache lookup failed for function")');
	unlike($out, qr/pg\.dropped|racy_k/, 'racy: no foreign key or index of a column dropped meanwhile');
	eval { $a->quit };
	is($node->safe_psql('postgres', 'SELECT 1'), '1', 'racy: server up');
}

# ---- sqlpilot_check: PREPARE in a subtransaction, nothing left behind ----
$node->safe_psql('postgres', q{
	CREATE TABLE orders (id int PRIMARY KEY, total numeric);
	CREATE SEQUENCE order_ids;
	CREATE ROLE r_clerk;
	GRANT SELECT ON keep TO r_clerk;
	CREATE TABLE payroll (id int, salary int);
});
my $s = $node->background_psql('postgres', on_error_stop => 0);
$s->query_safe('BEGIN');
is($s->query_safe(q{SELECT sqlpilot_check('SELECT * FROM orders FOR UPDATE'),
	sqlpilot_check('INSERT INTO orders VALUES (nextval(''order_ids''), 1)'),
	sqlpilot_check('UPDATE orders SET total = 0'), sqlpilot_check('DELETE FROM orders'),
	sqlpilot_check('SELECT * INTO TEMP sneaky FROM orders')}), 't|t|t|t|t',
	'SELECT FOR UPDATE, INSERT, UPDATE, DELETE and SELECT INTO check inside a transaction');
is($s->query_safe(q{SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()
	AND locktype = 'relation' AND relation IN ('orders'::regclass, 'order_ids'::regclass)}), '0',
	'no lock on the checked table or sequence is left');
is($s->query_safe(q{SELECT pg_current_xact_id_if_assigned() IS NULL}), 't', 'no transaction id was assigned');
is($s->query_safe(q{SELECT (SELECT count(*) FROM pg_prepared_statements),
	to_regclass('pg_temp.sneaky') IS NULL, pg_sequence_last_value('order_ids') IS NULL}), '0|t|t',
	'no prepared statement, no temporary table, the sequence not advanced');
is($s->query_safe(q{SELECT current_setting('search_path'), current_setting('lock_timeout'),
	current_setting('statement_timeout')}), '"$user", public|0|0', 'settings are as they were');
$s->query_safe('COMMIT');

# errors inside the check are a refusal, never an error of the caller
my $deep = '(' x 20000 . '1' . ')' x 20000;
is($s->query_safe(qq{SELECT sqlpilot_check('SELECT ''abc''::int'), sqlpilot_check('SELECT ''2020-13-45''::date'),
	sqlpilot_check('SELECT $deep'), sqlpilot_check('SELECT * FROM orders WHERE id = ANY(''{1,x}'')'),
	sqlpilot_check('SELECT 1; SELECT 2'), sqlpilot_check(E'SELECT \\\\x'), sqlpilot_check('')}),
	'f|f|f|f|f|f|f',
	'a bad literal, nesting past the stack limit, two statements, garbage, nothing: false');
is($s->query_safe(q{SELECT sqlpilot_check('VACUUM orders') IS NULL, sqlpilot_check('SELECT 1')}), 't|t',
	'a utility statement is not checked, and the session goes on');

# SELECT ... INTO is analyzed to a utility statement around its SELECT: a
# hidden table in it must be refused as a missing one is.
$s->query_safe('SET ROLE r_clerk');
is($s->query_safe(q{SELECT sqlpilot_check('SELECT * INTO TEMP t FROM payroll'),
	sqlpilot_check('SELECT * INTO TEMP t FROM no_such_table'),
	sqlpilot_check('SELECT * INTO TEMP t FROM keep')}), 'f|f|t',
	'SELECT INTO a hidden table: false, like a missing one; a granted one: true');
$s->query_safe('RESET ROLE');


# A deadlock found while the check waits for a lock is no refusal: the
# statement is not checked (NULL), as after a lock_timeout, and the caller's
# transaction goes on holding its locks.
$node->safe_psql('postgres', 'CREATE TABLE d1 (id int); CREATE TABLE d2 (id int)');
$s->query_safe('BEGIN; LOCK d1 IN ACCESS EXCLUSIVE MODE');
my $other = $node->background_psql('postgres', on_error_stop => 0);
$other->query_safe('BEGIN; LOCK d2 IN ACCESS EXCLUSIVE MODE');
$other->{stdin} .= "LOCK d1 IN ACCESS EXCLUSIVE MODE;\n";
$other->{run}->pump_nb();
$node->poll_query_until('postgres', q{SELECT count(*) > 0 FROM pg_locks WHERE NOT granted
	AND relation = 'd1'::regclass}) or diag('the other session never waited');
is($s->query_safe(q{SET LOCAL deadlock_timeout = '1ms'; SET LOCAL lock_timeout = '5s';
	SELECT sqlpilot_check('SELECT * FROM d2') IS NULL}), 't',
	'a deadlock while the check waits: not checked (NULL), not false');
is($s->query_safe(q{SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND granted
	AND relation = 'd1'::regclass}), '1', "and the caller's transaction still holds its lock");
$s->query_safe('COMMIT');
$other->query_safe('COMMIT');
$other->quit;
$s->quit;

# ---- sqlpilot_completions() with odd arguments ----
# Returns "SQLSTATE: message" of $sql's error, or its output.
sub try_sql
{
	my ($sql, $db) = @_;
	my ($ret, $out, $err) = $node->psql($db // 'postgres',
		"\\set VERBOSITY sqlstate\nSET sqlpilot.max_tokens = 2;\n$sql", on_error_stop => 1);
	return $out if $ret == 0;
	return $err =~ /ERROR:\s+([0-9A-Z]{5})/ ? "error $1" : "error ($err)";
}
is(try_sql(q{SELECT count(*) FROM sqlpilot_completions(NULL, 3)}), '0', 'NULL prefix: no row');
is(try_sql(q{SELECT count(*) FROM sqlpilot_completions('SELECT ', NULL)}), '0', 'NULL n: no row');
like(try_sql(q{SELECT count(*) BETWEEN 0 AND 7 FROM sqlpilot_completions('', 3)}), qr/^t$/,
	'empty prefix: at most 2n + 1 rows');
like(try_sql(q{SELECT count(*) BETWEEN 0 AND 33 FROM sqlpilot_completions('SELECT ', 16)}), qr/^t$/,
	'n = 16 (the most) works');
for my $n (0, -1, 17, 2147483647, -2147483648)
{
	is(try_sql("SELECT * FROM sqlpilot_completions('SELECT ', $n)"), 'error 22023',
		"n = $n: invalid parameter value");
}
is(try_sql(q{SELECT * FROM sqlpilot_completions(repeat('SELECT x, ', 104858), 3)}), 'error 54000',
	'a 1 MB prefix: prefix too long (before it is tokenized)');
is(try_sql(q{SELECT sqlpilot_complete(repeat('x', 1048576))}), 'error 54000',
	'and for sqlpilot_complete()');
$node->safe_psql('postgres', q{CREATE DATABASE ascii ENCODING SQL_ASCII TEMPLATE template0
	LC_COLLATE 'C' LC_CTYPE 'C'});
$node->safe_psql('ascii', 'CREATE EXTENSION sqlpilot; CREATE TABLE plain (id int)');
is(try_sql(q{SELECT * FROM sqlpilot_completions('SELECT ' || convert_from('\xfffe', 'SQL_ASCII'), 3)}, 'ascii'),
	'error 22021', 'invalid UTF-8 in a SQL_ASCII database: invalid byte sequence');
like(try_sql(q{SELECT count(*) >= 0 FROM sqlpilot_completions('SELECT ', 3)}, 'ascii'), qr/^t$/,
	'and the session completes valid text after it');

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server still up');
$node->stop;
done_testing();
