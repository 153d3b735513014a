#!/usr/bin/perl
# Names of relations a role may not use, hidden inside the expressions the
# schema text prints, over both catalog readers: the extension
# (sqlpilot_prompt, extension/catalog.c) and the client (`sqlpilot complete
# --dsn --show-schema`, client/catalog.c, what the psql hook reads).  Each
# assertion runs once per reader, on the same catalog, as the same role:
# - a DEFAULT, CHECK or index expression holding a regclass constant (a
#   nextval() of another sequence, 'x'::regclass, a regclass[] literal), a
#   regtype constant of a hidden table's row type, or a text turned into a
#   regclass when it runs, is left out when that relation is one the role
#   may not use (no USAGE on its schema, no privilege on the table, no
#   USAGE, SELECT or UPDATE on the sequence); the same expressions naming
#   relations it may use still print;
# - a serial column's own sequence always prints (the role needs no right
#   on it), and so does an inherited serial's sequence once the parent is
#   one the role may use, never before (its name holds the parent's);
# - an index whose predicate names a hidden table is left out whole (its
#   predicate is not printed, but the client can only tell by pg_depend);
# - a check naming a hidden table's index, a default of a domain over
#   regclass: left out; a regclass of a composite type prints (a type);
# - a column of a hidden table's row type is left out (the client printed
#   it), and a domain or enum of a schema without USAGE prints qualified:
#   a type is not a table, and every role reads pg_type and pg_namespace;
# - a foreign key to a table of a schema without USAGE is left out, and a
#   generated column shows no expression (confirmed, both readers);
# - GRANT in another session shows what it makes usable at the next call,
#   in a session whose schema cache was built before (extension), and a
#   REVOKE on a sequence alone hides its default again;
# - the client's new checks run no operator or function of the role's
#   search_path.
# Uses the staged install of `make check` and a random model made with
# $SQLPILOT_BUILD/sqlpilot init (tests/SqlpilotTAP.pm).
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use lib dirname(abs_path($0));
our ($root, $build);
use SqlpilotTAP 'hidden_refs';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# a random model with room for the whole schema (the table choice would drop a table)
my $model = "$ENV{TESTDIR}/wide.model";
system("$build/sqlpilot init --preset 260K --seq-len 4096 --seed 1 --out $model >/dev/null") == 0
  or BAIL_OUT('sqlpilot init failed');
my $node = start_node('sqlpilot_hidden_refs', undef, "sqlpilot.model_path = '$model'\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION sqlpilot;
	CREATE ROLE r_ref LOGIN;
	CREATE SCHEMA hid2;
	CREATE SEQUENCE hid2.other_seq;
	CREATE TABLE hid2.payroll (id int, salary int);
	CREATE TYPE hid2.mood AS ENUM ('calm');
	CREATE DOMAIN hid2.pos AS int CHECK (VALUE > 0);
	CREATE SEQUENCE private_seq;
	CREATE SEQUENCE granted_seq;
	CREATE TABLE secret_tab (id int);
	CREATE TABLE regc (
		id serial PRIMARY KEY,
		a bigint DEFAULT nextval('hid2.other_seq'),
		b bigint DEFAULT nextval('private_seq') * 2,
		g bigint DEFAULT nextval('granted_seq') * 2,
		r regclass DEFAULT 'hid2.payroll'::regclass CONSTRAINT regc_r_check CHECK (r <> 'secret_tab'::regclass),
		ra regclass[] DEFAULT '{hid2.payroll}'::regclass[],
		rt regtype DEFAULT 'hid2.payroll'::regtype,
		rx regclass DEFAULT ('hid2.payroll'::text)::regclass,
		ok regclass DEFAULT 'regc'::regclass CONSTRAINT regc_ok_check CHECK (ok <> 'pg_catalog.pg_class'::regclass),
		m hid2.mood,
		p hid2.pos
	);
	CREATE TABLE regrow (id int, pr hid2.payroll);
	CREATE TABLE hid2.boss (id int PRIMARY KEY);
	CREATE TYPE hid2.comp AS (x int);
	CREATE DOMAIN public.rc AS regclass;
	CREATE TABLE odd_refs (id int, i regclass CONSTRAINT odd_refs_i_check CHECK (i <> 'hid2.boss_pkey'::regclass),
		d rc DEFAULT 'hid2.payroll', c regclass DEFAULT 'hid2.comp'::regclass);
	CREATE TABLE fkh (id int, b int REFERENCES hid2.boss (id),
		gen regclass GENERATED ALWAYS AS ('hid2.boss'::regclass) STORED);
	CREATE INDEX regc_expr ON regc ((r = 'secret_tab'::regclass));
	CREATE INDEX regc_pred ON regc (g) WHERE r <> 'hid2.payroll'::regclass;
	CREATE INDEX regc_ok_idx ON regc ((ok = 'regc'::regclass));
	CREATE TABLE inh_parent (id serial, note text);
	CREATE TABLE inh_child (extra int) INHERITS (inh_parent);
	GRANT SELECT ON regc, regrow, inh_child, fkh, odd_refs TO r_ref;
	GRANT USAGE ON SEQUENCE granted_seq TO r_ref;
});
my ($host, $port) = ($node->host, $node->port);

# The schema text each reader gives role $role for prefix $prefix.
my %readers = (
	extension => sub {
		my ($role, $prefix) = @_;
		return $node->safe_psql('postgres', "SET ROLE $role; SET sqlpilot.max_tokens = 1; "
			  . "SET sqlpilot.max_prompt_tokens = 4000; SELECT sqlpilot_prompt('$prefix')");
	},
	client => sub {
		my ($role, $prefix) = @_;
		my ($out, $err);
		IPC::Run::run([ "$build/sqlpilot", 'complete', '--dsn',
			"host=$host port=$port user=$role dbname=postgres", '--model', $model,
			'--show-schema', $prefix ], '>', \$out, '2>', \$err);
		return $out . $err;
	},
);

# The CREATE TABLE text of table $name in schema text $s ('' when absent).
sub table_text
{
	my ($s, $name) = @_;
	return $s =~ /(CREATE TABLE public\.$name \(.*?\n\))/s ? $1 : '';
}

my $prefix = 'SELECT * FROM regc JOIN inh_child JOIN regrow JOIN fkh JOIN odd_refs JOIN ';
for my $reader (sort keys %readers)
{
	my $read = $readers{$reader};
	my $all = $read->('postgres', $prefix);
	my $owner = table_text($all, 'regc');
	diag($all) if $owner eq '';
	like($owner, qr/a INT8 NULL DEFAULT unique_rowid\(\),\s*b INT8 NULL DEFAULT \(nextval\('(public\.)?private_seq'\) \* 2\),.*INDEX regc_expr .*CONSTRAINT regc_r_check /s,
		"$reader: the owner sees every default, index and check");

	my $s = $read->('r_ref', $prefix);
	my $t = table_text($s, 'regc');
	like($t, qr/CREATE TABLE public\.regc /, "$reader: the granted table shows");
	unlike($s, qr/hid2\.(?!mood |pos |comp')|payroll|boss|private_seq|secret_tab|inh_parent/,
		"$reader: no sequence, table or parent the role may not use is named anywhere")
	  or diag($s);
	like($t, qr/\bid INT4 NOT NULL DEFAULT unique_rowid\(\),/,
		"$reader: the serial column's own sequence prints, with no right on it");
	like($t, qr/\bg INT8 NULL DEFAULT \(nextval\('(public\.)?granted_seq'\) \* 2\),/,
		"$reader: a sequence the role may use prints");
	like($t, qr/\bok REGCLASS NULL DEFAULT '(public\.)?regc',.*INDEX regc_ok_idx .*CONSTRAINT regc_ok_check /si,
		"$reader: regclass constants of tables it may use print in a default, an index and a check");
	like($t, qr/\ba INT8 NULL,\s*b INT8 NULL,/, "$reader: defaults naming hidden sequences are left out");
	like($t, qr/\br REGCLASS NULL,\s*ra REGCLASS\[\] NULL,\s*rt REGTYPE NULL,\s*rx REGCLASS NULL,/i,
		"$reader: a regclass, regclass[], row-type regtype or text-to-regclass default of a hidden table is left out");
	unlike($t, qr/regc_r_check|regc_expr|regc_pred/,
		"$reader: a check, an index expression or an index predicate naming a hidden table leaves its constraint or index out");
	like(table_text($s, 'regrow'), qr/CREATE TABLE public\.regrow \(\s*id INT4 NULL\s*\)/,
		"$reader: a column of a hidden table's row type is left out");
	like($t, qr/\bm hid2\.mood NULL,\s*p hid2\.pos NULL/,
		"$reader: an enum and a domain of a schema without USAGE print qualified (types, not tables)");
	like(table_text($s, 'fkh'), qr/CREATE TABLE public\.fkh \(\s*id INT4 NULL,\s*b INT4 NULL,\s*gen REGCLASS NULL\s*\)/i,
		"$reader: a foreign key to a table of a schema without USAGE is left out, a generated column shows no expression");
	like(table_text($s, 'odd_refs'), qr/CREATE TABLE public\.odd_refs \(\s*id INT4 NULL,\s*i REGCLASS NULL,\s*d (public\.)?rc NULL,\s*c REGCLASS NULL DEFAULT 'hid2\.comp'\s*\)/i,
		"$reader: a check naming a hidden table's index and a default of a domain over regclass are left out; a composite type's name shows (a type)");
	my $c = table_text($s, 'inh_child');
	like($c, qr/CREATE TABLE public\.inh_child \(\s*id INT4 NOT NULL,\s*note/,
		"$reader: an inherited serial's default (its sequence names the hidden parent) is left out");
}

# GRANTs in another session, while one session keeps its cache: the next call shows them.
my $bg = $node->background_psql('postgres');
$bg->query_safe(q{SET ROLE r_ref; SET sqlpilot.max_tokens = 1; SET sqlpilot.max_prompt_tokens = 4000});
unlike($bg->query_safe("SELECT sqlpilot_prompt('$prefix')"), qr/private_seq|inh_parent/,
	'cached session: nothing hidden before the grants');
$node->safe_psql('postgres', q{
	GRANT USAGE ON SCHEMA hid2 TO r_ref;
	GRANT SELECT ON hid2.payroll, hid2.boss, secret_tab, inh_parent TO r_ref;
	GRANT USAGE ON SEQUENCE hid2.other_seq TO r_ref;
	GRANT SELECT ON SEQUENCE private_seq TO r_ref;
});
my %after = (extension_cached => $bg->query_safe("SELECT sqlpilot_prompt('$prefix')"));
$after{$_} = $readers{$_}->('r_ref', $prefix) for keys %readers;
for my $reader (sort keys %after)
{
	my $s = $after{$reader};
	my $t = table_text($s, 'regc');
	like($t, qr/\ba INT8 NULL DEFAULT unique_rowid\(\),\s*b INT8 NULL DEFAULT \(nextval\('(public\.)?private_seq'\) \* 2\),/,
		"$reader after GRANT: the sequences granted print");
	like($t, qr/\br REGCLASS NULL DEFAULT 'hid2\.payroll',\s*ra REGCLASS\[\] NULL,\s*rt REGTYPE NULL DEFAULT 'hid2\.payroll',\s*rx REGCLASS NULL,.*INDEX regc_expr .*INDEX regc_pred .*CONSTRAINT regc_r_check /si,
		"$reader after GRANT: the defaults, indexes and check of the granted tables print (never a regclass[] or a regclass from text)");
	like(table_text($s, 'regrow'), qr/\bpr hid2\.payroll NULL/, "$reader after GRANT: the row-type column prints");
	like(table_text($s, 'fkh'), qr/FOREIGN KEY \(b\) REFERENCES hid2\.boss\(id\)/,
		"$reader after GRANT: the foreign key prints");
	like(table_text($s, 'inh_child'), qr/\bid INT4 NOT NULL DEFAULT unique_rowid\(\),/,
		"$reader after GRANT: the inherited serial's default prints once the parent may be used");
}
$bg->query_safe('RESET ROLE');
$node->safe_psql('postgres', 'REVOKE USAGE ON SEQUENCE hid2.other_seq FROM r_ref');
$bg->query_safe('SET ROLE r_ref');
unlike($bg->query_safe("SELECT sqlpilot_prompt('$prefix')"), qr/other_seq/,
	'cached session after REVOKE on the sequence alone: its default is gone at the next call');
# a sequence given to a column of the table (OWNED BY) and taken back, in another session
$bg->query_safe('RESET ROLE');
$node->safe_psql('postgres', 'REVOKE SELECT ON SEQUENCE private_seq FROM r_ref');
$bg->query_safe('SET ROLE r_ref');
like($bg->query_safe("SELECT sqlpilot_prompt('$prefix')"), qr/\bb INT8 NULL,/,
	'cached session after REVOKE on a sequence of the same schema: its default is gone');
$bg->query_safe('RESET ROLE');
$node->safe_psql('postgres', 'ALTER SEQUENCE private_seq OWNED BY regc.b');
$bg->query_safe('SET ROLE r_ref');
like($bg->query_safe("SELECT sqlpilot_prompt('$prefix')"), qr/\bb INT8 NULL DEFAULT \(nextval\('public\.private_seq'\) \* 2\),/,
	'after OWNED BY in another session: the default of the column owning the sequence shows');
$bg->query_safe('RESET ROLE');
$node->safe_psql('postgres', 'ALTER SEQUENCE private_seq OWNED BY NONE');
$bg->query_safe('SET ROLE r_ref');
like($bg->query_safe("SELECT sqlpilot_prompt('$prefix')"), qr/\bb INT8 NULL,/,
	'and after OWNED BY NONE it is gone at the next call');
$bg->quit;

# The client's new checks resolve only to pg_catalog: operators and
# functions first on the role's search_path never run while it reads.
$node->safe_psql('postgres', q{
	CREATE SCHEMA trap;
	CREATE TABLE trap.ran (what text);
	GRANT USAGE ON SCHEMA trap TO PUBLIC;
	GRANT INSERT ON trap.ran TO PUBLIC;
	CREATE FUNCTION trap.ne_oid(oid, oid) RETURNS bool LANGUAGE sql
		AS $$ INSERT INTO trap.ran VALUES ('oid <> oid') RETURNING true $$;
	CREATE OPERATOR trap.<> (LEFTARG = oid, RIGHTARG = oid, FUNCTION = trap.ne_oid);
	CREATE FUNCTION trap.ne_char("char", "char") RETURNS bool LANGUAGE sql
		AS $$ INSERT INTO trap.ran VALUES ('char <> char') RETURNING true $$;
	CREATE OPERATOR trap.<> (LEFTARG = "char", RIGHTARG = "char", FUNCTION = trap.ne_char);
	CREATE FUNCTION trap.match(text, text) RETURNS bool LANGUAGE sql
		AS $$ INSERT INTO trap.ran VALUES ('text ~ text') RETURNING false $$;
	CREATE OPERATOR trap.~ (LEFTARG = text, RIGHTARG = text, FUNCTION = trap.match);
	CREATE FUNCTION trap.has_sequence_privilege(oid, text) RETURNS bool LANGUAGE sql
		AS $$ INSERT INTO trap.ran VALUES ('has_sequence_privilege') RETURNING true $$;
	CREATE FUNCTION trap.concat(pg_node_tree, pg_node_tree) RETURNS text LANGUAGE sql
		AS $$ INSERT INTO trap.ran VALUES ('concat') RETURNING '' $$;
	ALTER ROLE r_ref SET search_path = trap, pg_catalog, public;
});
my $trapped = $readers{client}->('r_ref', $prefix);
like(table_text($trapped, 'regc'), qr/\bg INT8 NULL DEFAULT \(nextval\('(public\.)?granted_seq'\) \* 2\),.*INDEX regc_expr /s,
	'client with operators and functions of another schema first on the search_path: the same schema text')
  or diag($trapped);
is($node->safe_psql('postgres', 'SELECT count(*) FROM trap.ran'), '0',
	'and none of them ran');

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server still up');
$node->stop;
done_testing();
