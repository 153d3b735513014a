#!/usr/bin/perl
# The extension's catalog side across sessions, on a temporary cluster
# (PostgreSQL::Test::Cluster): another session's temporary tables are never
# read, and a cancel or statement_timeout while a large schema is read stops
# the call at once and leaves a cache that the next call completes; the
# foreign-key neighbours of a named table, read lazily, follow DDL from
# another session and never name a table the role may not use.  With more
# tables than a prompt holds only the first are listed: the prompt is the
# one a full listing gives, tables past the listed ones (named, or a named
# table's neighbours) follow DDL and privileges, and the cache's memory
# context does not grow with the number of tables.  Uses the
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

my $node = start_node('sqlpilot_catalog', "$ENV{TESTDIR}/small.model");
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
# the budget is 1023 tokens (context 1024, one token to generate): the first
# 1023 / 4 + 1 = 256 tables in catalog order are listed, plus the one named
is($c->query_safe(q{SELECT sqlpilot_stats()->>'last_tables_total'}), 257,
	'from the first 256 tables listed and the one named');
$c->query_safe(q{SET sqlpilot.list_all_tables = on});
$c->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w1500 JOIN ')});
is($c->query_safe(q{SELECT sqlpilot_stats()->>'last_tables_total'}), $total,
	'sqlpilot.list_all_tables lists all of them');
$c->query_safe(q{RESET sqlpilot.list_all_tables});

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

# ---- the lazy listing gives the prompt a full listing gives ----
# Two sessions make the same calls, one listing only the first tables (the
# default), one every table (sqlpilot.list_all_tables); the schema holds
# foreign keys to and from tables far past the listed ones, a view and a
# second schema in scope.
$node->safe_psql('postgres', q{
	CREATE SCHEMA extra;
	CREATE TABLE extra.e1 (id int PRIMARY KEY, w1500_id int REFERENCES wide.w1500 (id));
	CREATE TABLE wide.w_far (id int PRIMARY KEY, w1500_id int REFERENCES wide.w1500 (id),
		w1900_id int REFERENCES wide.w1900 (id));
	ALTER TABLE wide.w1700 ADD COLUMN w1500_id int REFERENCES wide.w1500 (id);
	CREATE TABLE wide.w_tiny (id int PRIMARY KEY);
	CREATE TABLE wide.w_a (id int PRIMARY KEY);
	CREATE TABLE wide.w_b (id int PRIMARY KEY, a_id int REFERENCES wide.w_a (id));
	ALTER TABLE wide.w3 ADD COLUMN tiny_id int REFERENCES wide.w_tiny (id);
	ALTER TABLE wide.w4 ADD COLUMN w1950_id int REFERENCES wide.w1950 (id);
	CREATE VIEW wide.w_view AS SELECT id, c2 FROM wide.w1600;
});
my @prefixes = (
	'SELECT * FROM w1500 JOIN ',
	'SELECT * FROM w3 JOIN ',
	'SELECT * FROM w4 JOIN ',
	'SELECT * FROM w_a JOIN ',
	'SELECT ',
	'SELECT * FROM w_view v JOIN w1999 x ON ',
	'UPDATE wide.w1888 SET ',
	'SELECT * FROM extra.e1 JOIN w1500 USING (id) JOIN w1',
	'SELECT * FROM w1900 JOIN w_far ON w_far.w1900_id = w1900.id JOIN ',
	'INSERT INTO "w1234" (',
);
my $lazy = $node->background_psql('postgres');
my $full = $node->background_psql('postgres');
$lazy->query_safe("SET search_path = wide, extra, public; SET sqlpilot.max_tokens = 1");
$full->query_safe("SET search_path = wide, extra, public; SET sqlpilot.max_tokens = 1; "
	  . "SET sqlpilot.list_all_tables = on");
for my $budget (1023, 300)
{
	$lazy->query_safe("SET sqlpilot.max_prompt_tokens = $budget");
	$full->query_safe("SET sqlpilot.max_prompt_tokens = $budget");
	for my $p (@prefixes)
	{
		(my $q = $p) =~ s/'/''/g;
		my $got = $lazy->query_safe("SELECT sqlpilot_prompt('$q')");
		my $want = $full->query_safe("SELECT sqlpilot_prompt('$q')");
		is($got, $want, "budget $budget, '$p': the lazy listing's prompt is the full listing's");
	}
}
$lazy->query_safe('RESET sqlpilot.max_prompt_tokens');
like($lazy->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w_a JOIN ')}),
	qr/CREATE TABLE wide\.w_a .*CREATE TABLE wide\.w_b /s,
	'a table referencing a named table past the listed ones comes in, in catalog order');
like($lazy->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w3 JOIN ')}), qr/CREATE TABLE wide\.w_tiny /,
	'and a table it references');
ok($lazy->query_safe(q{SELECT sqlpilot_stats()->>'last_tables_total'}) < 300
	  && $full->query_safe(q{SELECT sqlpilot_stats()->>'last_tables_total'}) > 2000,
	'the lazy session listed a few hundred tables, the full one every table');

# ---- DDL under the lazy cache is seen ----
$node->safe_psql('postgres', 'ALTER TABLE wide.w1888 ADD COLUMN fresh_col int');
like($lazy->query_safe(q{SELECT sqlpilot_prompt('UPDATE w1888 SET ')}), qr/fresh_col INT4/,
	'a column added in another session to a table past the listed ones shows');
$node->safe_psql('postgres', 'CREATE TABLE wide.zz_new (id int PRIMARY KEY, zz_col text)');
like($lazy->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM zz_new JOIN ')}), qr/CREATE TABLE wide\.zz_new /,
	'a table created in another session past the listed ones shows when named');
$node->safe_psql('postgres', 'ALTER TABLE wide.zz_new RENAME TO zz_renamed');
my $renamed = $lazy->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM zz_new JOIN zz_renamed ')});
ok($renamed =~ /CREATE TABLE wide\.zz_renamed / && $renamed !~ /CREATE TABLE wide\.zz_new /,
	'renamed: the new name shows, the old one no more');
$node->safe_psql('postgres', 'DROP TABLE wide.zz_renamed');
unlike($lazy->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM zz_renamed JOIN ')}), qr/zz_renamed \(/,
	'dropped: it is gone');
$node->safe_psql('postgres', 'ALTER TABLE wide.w_b DROP COLUMN a_id');
unlike($lazy->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w_a JOIN ')}), qr/CREATE TABLE wide\.w_b /,
	'a foreign key dropped in another session no longer brings its table in');

# ---- privileges: a table past the listed ones is shown only to a role that may use it ----
$node->safe_psql('postgres', q{
	CREATE ROLE lister;
	GRANT USAGE ON SCHEMA wide, extra TO lister;
	GRANT SELECT ON wide.w1500, wide.w1900 TO lister;
	GRANT SELECT (id) ON wide.w_far TO lister;
});
$lazy->query_safe('SET ROLE lister');
my $lp = $lazy->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w1500 JOIN w1600 JOIN e1 JOIN extra.e1 JOIN ')});
like($lp, qr/CREATE TABLE wide\.w1500 /, 'a role sees a granted table past the listed ones');
ok($lp !~ /CREATE TABLE \S*(w1600|e1|w_view|w1700) /,
	'never one it may not use, named or a neighbour (w1600, extra.e1, the view)');
like($lazy->query_safe(q{SELECT sqlpilot_prompt('SELECT w_far.id FROM w_far JOIN ')}), qr/CREATE TABLE wide\.w_far \(\s*id INT4/,
	'a table with one granted column shows that column when named');
unlike($lazy->query_safe(q{SELECT string_agg(completion, ' ') FROM sqlpilot_completions('SELECT * FROM w16', 5)}),
	qr/w1600/, 'completions never name a table the role may not use');
$node->safe_psql('postgres', 'REVOKE SELECT ON wide.w1500 FROM lister');
unlike($lazy->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM w1500 JOIN ')}), qr/CREATE TABLE wide\.w1500 /,
	'a REVOKE in another session hides it at the next call');
$lazy->query_safe('RESET ROLE');

# ---- memory: the cache does not grow with the number of tables ----
# The "sqlpilot schema cache" context after a first call on 300 tables and
# on 2,000: the listing holds the same first 256 either way.
sub cache_bytes
{
	my ($schemas, $list_all) = @_;
	my $s = $node->background_psql('postgres');
	$s->query_safe("SET sqlpilot.schemas = '$schemas'; SET sqlpilot.max_tokens = 1; "
		  . "SET sqlpilot.list_all_tables = $list_all");
	$s->query_safe("SELECT sqlpilot_prompt('SELECT * FROM w1500 JOIN ')");
	my $bytes = $s->query_safe(
		"SELECT total_bytes FROM pg_backend_memory_contexts WHERE name = 'sqlpilot schema cache'");
	$s->quit;
	return $bytes;
}
$node->safe_psql('postgres', q{
	CREATE SCHEMA few;
	DO $$
	BEGIN
		FOR i IN 1..300 LOOP
			EXECUTE format('CREATE TABLE few.w%s (id int PRIMARY KEY, c1 int, c2 text)', i);
		END LOOP;
	END $$;
});
my $few = cache_bytes('few', 'off');
my $many = cache_bytes('wide', 'off');
my $all = cache_bytes('wide', 'on');
ok($many <= 2 * $few, "cache context: $many bytes with 2,000 tables, $few with 300");
ok($many < 1024 * 1024, 'under 1 MB with 2,000 tables');
ok($all > 3 * $many, "listing every table would take $all bytes");
$lazy->quit;
$full->quit;

ok($node->safe_psql('postgres', 'SELECT 1') eq '1', 'server still up');
$node->stop;
done_testing();
