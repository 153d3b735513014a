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
