#!/usr/bin/perl
# experiment
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

my $dir = $ENV{TESTDIR};
my $install = "$build/install";
my $model = "$dir/small.model";
system("$build/sqlpilot init --preset 260K --seq-len 1024 --seed 1 --out $model >/dev/null") == 0
  or BAIL_OUT('sqlpilot init failed');
my $node = PostgreSQL::Test::Cluster->new('sqlpilot_audit');
$node->init;
$node->append_conf('postgresql.conf', "extension_destdir = '$install'\nsqlpilot.model_path = '$model'\n");
$node->start;
$node->safe_psql('postgres', q{CREATE EXTENSION sqlpilot;
	CREATE TABLE keep (id int PRIMARY KEY);
	CREATE TABLE doomed (id int PRIMARY KEY, qty int CHECK (qty > 0));});
my $a = $node->background_psql('postgres', on_error_stop => 0);
$a->query_safe("SET sqlpilot.max_tokens = 1");
like($a->query_safe(q{SELECT sqlpilot_prompt('SELECT ')}), qr/doomed/, 'warm');
$node->safe_psql('postgres', 'CREATE TABLE other2 (id int)');
my $b = $node->background_psql('postgres');
$b->query_safe('BEGIN; DROP TABLE doomed; LOCK TABLE pg_catalog.pg_constraint IN ACCESS EXCLUSIVE MODE');
my $apid = $a->query_safe('SELECT pg_backend_pid()');
$a->{stdin} .= "SELECT sqlpilot_prompt('SELECT ');\n";
$a->{run}->pump_nb();
$node->poll_query_until('postgres', "SELECT count(*) > 0 FROM pg_locks WHERE pid = $apid AND NOT granted")
  or die 'A never waited';
diag($node->safe_psql('postgres', "SELECT relation::regclass FROM pg_locks WHERE pid = $apid AND NOT granted"));
$b->query_safe('COMMIT');
my $out = eval { $a->query('SELECT 42') };
diag("out: " . ($out // 'undef') . " err: $@");
diag(slurp_file($node->logfile));
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server up');
$node->stop('immediate');
done_testing();
