#!/usr/bin/perl
# The extension's catalog side across sessions, on a temporary cluster
# (PostgreSQL::Test::Cluster): another session's temporary tables are never
# read, and a cancel or statement_timeout while a large schema is read stops
# the call at once and leaves a cache that the next call completes; the
# foreign-key neighbours of a named table, read lazily, follow DDL from
# another session and never name a table the role may not use.  Uses the
# staged install of `make check` ($SQLPILOT_BUILD/install, through
# extension_destdir) and makes its random model with $SQLPILOT_BUILD/sqlpilot
# init (setup shared with the other TAP suites: tests/SqlpilotTAP.pm).
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use lib dirname(abs_path($0));
use Time::HiRes qw(time);
our ($root, $build);
use SqlpilotTAP 'catalog';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dir = $ENV{TESTDIR};
my $install = "$build/install";
BAIL_OUT("no staged install in $install (run make check)") unless -d $install;

my $model = "$dir/small.model";
system("$build/sqlpilot init --preset 260K --seq-len 1024 --seed 1 --out $model >/dev/null") == 0
  or BAIL_OUT('sqlpilot init failed');

my $node = PostgreSQL::Test::Cluster->new('sqlpilot_catalog');
$node->init;
$node->append_conf('postgresql.conf', "extension_destdir = '$install'\nsqlpilot.model_path = '$model'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION sqlpilot; CREATE TABLE shared (id int PRIMARY KEY)');

# ---- another session's temporary tables are never read ----
my $a = $node->background_psql('postgres');
$a->query_safe('CREATE TEMP TABLE a_private (secret text)');
my $a_temp = $a->query_safe('SELECT pg_my_temp_schema()::regnamespace');
like($a->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM ')}), qr/CREATE TABLE pg_temp\.a_private/,
	'a session sees its own temporary table');
my $b = $node->background_psql('postgres');
unlike($b->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM ')}), qr/a_private/,
	"another session does not see it");
unlike($b->query_safe("SET sqlpilot.schemas = '$a_temp'; SELECT sqlpilot_prompt('SELECT * FROM ')"),
	qr/a_private/, "not even with the other session's temporary schema in sqlpilot.schemas");
unlike($b->query_safe("RESET sqlpilot.schemas; SET search_path = $a_temp, public; "
	  . "SELECT sqlpilot_prompt('SELECT * FROM ')"), qr/a_private/,
	'nor on search_path');
unlike($b->query_safe("RESET search_path; SELECT sqlpilot_prompt('SELECT * FROM $a_temp.a_private ')"),
	qr/CREATE TABLE \S*a_private/, 'nor named with that schema in the prefix');
$a->quit;
$b->quit;

# ---- cancel and statement_timeout while a large schema is read ----
# 2,000 tables of 20 columns: far more than a prompt holds.
$node->safe_psql('postgres', q{
	CREATE SCHEMA wide;
	DO $$
	BEGIN
		FOR i IN 1..2000 LOOP
			EXECUTE format('CREATE TABLE wide.w%s (id int PRIMARY KEY, c1 int, c2 text, c3 text,
				c4 date, c5 numeric(10,2), c6 int, c7 bigint, c8 text, c9 boolean, c10 int, c11 text,
				c12 timestamptz, c13 int, c14 text, c15 int, c16 text, c17 date, c18 int, c19 text)', i);
			IF i % 250 = 0 THEN
				COMMIT;
			END IF;
		END LOOP;
	END $$;
	VACUUM ANALYZE;
});
my $total = 2001;
my $c = $node->background_psql('postgres', on_error_stop => 0);
$c->query_safe("SET search_path = wide, public; SET sqlpilot.max_tokens = 1");
# A timeout far shorter than reading the schema: the call stops at once.
$c->query_safe(q{SET statement_timeout = '5ms'});
my $start = time();
$c->query(q{SELECT sqlpilot_prompt('SELECT * FROM w1500 JOIN ')});
my $elapsed = time() - $start;
like($c->{stderr}, qr/canceling statement due to statement timeout/,
	'statement_timeout stops the first call while the schema is read');
ok($elapsed < 3, sprintf('within 3 s (%.2f s)', $elapsed));
$c->{stderr} = '';
$c->query_safe(q{SET statement_timeout = 0});
like($c->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w1500 JOIN ')}), qr/CREATE TABLE wide\.w1500 /,
	'the next call reads on and shows the named table');
is($c->query_safe(q{SELECT sqlpilot_stats()->>'last_tables_total'}), $total,
	'from a complete list of tables');

# pg_cancel_backend during the first call of a new session.
my $d = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $d->query_safe('SELECT pg_backend_pid()');
$d->query_safe("SET search_path = wide, public; SET sqlpilot.max_tokens = 1");
$d->{stdin} .= "SELECT sqlpilot_prompt('SELECT * FROM w7 JOIN ');\n";
$d->{run}->pump_nb();
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
$start = time();
$d->query('SELECT 42');
$elapsed = time() - $start;
ok($elapsed < 3, sprintf('pg_cancel_backend during a first call: it returns within 3 s (%.2f s)', $elapsed));
$d->{stderr} = '';
like($d->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w7 JOIN ')}), qr/CREATE TABLE wide\.w7 /,
	'and the backend serves the next call');
$c->quit;
$d->quit;

# ---- foreign-key neighbours: read for the tables a prefix names, again after DDL ----
# w_child sorts after every wN, so only a foreign key brings it into a prompt
# that names w42 (and w42 into one that names w_child).
my $e = $node->background_psql('postgres');
$e->query_safe("SET search_path = wide, public; SET sqlpilot.max_tokens = 1");
$node->safe_psql('postgres', 'CREATE TABLE wide.w_child (id int PRIMARY KEY, w42_id int)');
unlike($e->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w42 JOIN ')}),
	qr/CREATE TABLE wide\.w_child /, 'no neighbour before the foreign key exists');
$node->safe_psql('postgres', 'ALTER TABLE wide.w_child ADD FOREIGN KEY (w42_id) REFERENCES wide.w42 (id)');
like($e->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w42 JOIN ')}),
	qr/CREATE TABLE wide\.w_child /,
	'a foreign key another session adds to a named table brings the referencing table in');
like($e->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w_child JOIN ')}),
	qr/CREATE TABLE wide\.w42 /, 'and the referenced table when the referencing one is named');
$node->safe_psql('postgres',
	'CREATE ROLE nosee; GRANT USAGE ON SCHEMA wide TO nosee; GRANT SELECT ON wide.w42 TO nosee');
$e->query_safe('SET ROLE nosee');
my $seen = $e->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w42 JOIN ')});
like($seen, qr/CREATE TABLE wide\.w42 /, 'a role that may use only w42 sees it');
unlike($seen, qr/w_child/, 'but never the name of the referencing table it may not use');
$e->quit;

ok($node->safe_psql('postgres', 'SELECT 1') eq '1', 'server still up');
$node->stop;
done_testing();
