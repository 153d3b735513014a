#!/usr/bin/perl
# The extension across sessions, on a temporary cluster (PostgreSQL::Test::Cluster):
# cache invalidation by DDL and GRANT in another session, two roles, the
# prompt cache files shared by new sessions,
# cancel and statement_timeout during generation, and model files replaced
# or broken under a live backend.  Uses the staged install of `make check`
# ($SQLPILOT_BUILD/install, through extension_destdir) and makes its random
# models with $SQLPILOT_BUILD/sqlpilot init (setup shared with the other TAP
# suites: tests/SqlpilotTAP.pm).
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use lib dirname(abs_path($0));
use Time::HiRes ();
our ($root, $build);
use SqlpilotTAP 'sessions';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dir = $ENV{TESTDIR};

# Random models: a small one for most checks (start_node makes it), a slower
# one with a long context so that one completion runs long enough to be cancelled.
my $model = "$dir/small.model";
my $slow = "$dir/slow.model";
my $node = start_node('sqlpilot', $model);
system("$build/sqlpilot init --preset 15M --seq-len 4096 --seed 2 --out $slow >/dev/null") == 0
  or BAIL_OUT('sqlpilot init failed');
$node->safe_psql('postgres', q{
	CREATE EXTENSION sqlpilot;
	CREATE TABLE accounts (id int PRIMARY KEY, owner text);
	CREATE ROLE alice LOGIN;
	CREATE ROLE bob LOGIN;
	GRANT SELECT ON accounts TO alice;
});

# Counters of a session's backend.
sub stat_of
{
	my ($session, $key) = @_;
	return $session->query_safe("SELECT sqlpilot_stats()->>'$key'");
}

# ---- invalidation across sessions ----
my $a = $node->background_psql('postgres');
like($a->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM ')}), qr/CREATE TABLE public\.accounts/,
	'session A sees the table');
$a->query_safe(q{SELECT sqlpilot_complete('SELECT * FROM ')});
is(stat_of($a, 'schema_builds'), 1, 'schema read once for two calls');

$node->safe_psql('postgres', 'ALTER TABLE accounts ADD COLUMN added_elsewhere int');
like($a->query_safe(q{SELECT sqlpilot_prompt('SELECT * FROM ')}), qr/added_elsewhere INT4/,
	'a column added in session B shows in the very next prompt of session A');
like($a->query_safe(q{SELECT sqlpilot_complete('SELECT * FROM ') IS NOT NULL}), qr/^t$/,
	'and the completion runs on the new schema');
is(stat_of($a, 'schema_builds'), 2, 'the DDL caused one rebuild');

$node->safe_psql('postgres', q{COMMENT ON TABLE accounts IS 'money'});
$a->query_safe(q{SELECT sqlpilot_prompt('SELECT ')});
is(stat_of($a, 'schema_builds'), 2, 'COMMENT causes no rebuild');

# the cache listens to the sequence syscache (ALTER SEQUENCE ... OWNED BY), which nextval and setval never touch
$node->safe_psql('postgres', 'CREATE SEQUENCE counter');
$a->query_safe(q{SELECT sqlpilot_prompt('SELECT ')});
is(stat_of($a, 'schema_builds'), 3, 'CREATE SEQUENCE causes one rebuild');
$node->safe_psql('postgres', q{SELECT nextval('counter'), nextval('counter'), setval('counter', 100)});
$a->query_safe(q{SELECT nextval('counter')});
$a->query_safe(q{SELECT sqlpilot_prompt('SELECT ')});
is(stat_of($a, 'schema_builds'), 3, 'nextval and setval, in either session, cause no rebuild');
$node->safe_psql('postgres', 'ALTER SEQUENCE counter OWNED BY accounts.id');
$a->query_safe(q{SELECT sqlpilot_prompt('SELECT ')});
is(stat_of($a, 'schema_builds'), 4, 'ALTER SEQUENCE ... OWNED BY causes one rebuild');

$a->query_safe('SET search_path = app, public');
$node->safe_psql('postgres', 'CREATE SCHEMA app; CREATE TABLE app.ledger (entry bigint)');
like($a->query_safe(q{SELECT sqlpilot_prompt('SELECT ')}), qr/CREATE TABLE app\.ledger/,
	'a schema created in session B joins the search_path of session A');
$node->safe_psql('postgres', 'ALTER SCHEMA app RENAME TO books');
unlike($a->query_safe(q{SELECT sqlpilot_prompt('SELECT ')}), qr/ledger/,
	'a renamed schema leaves the search_path of session A');

# ---- two roles, privileges changed in another session ----
my $alice = $node->background_psql('postgres', extra_params => [ '-U', 'alice' ]);
my $bob = $node->background_psql('postgres', extra_params => [ '-U', 'bob' ]);
like($alice->query_safe(q{SELECT sqlpilot_prompt('SELECT ')}), qr/public\.accounts/, 'alice sees accounts');
unlike($bob->query_safe(q{SELECT sqlpilot_prompt('SELECT ')}), qr/accounts/, 'bob does not');
$bob->query_safe(q{SELECT sqlpilot_complete('SELECT * FROM ')});
$node->safe_psql('postgres', 'GRANT UPDATE ON accounts TO bob; REVOKE SELECT ON accounts FROM alice');
like($bob->query_safe(q{SELECT sqlpilot_prompt('SELECT ')}), qr/public\.accounts/,
	'a GRANT in another session reaches bob at once');
unlike($alice->query_safe(q{SELECT sqlpilot_prompt('SELECT ')}), qr/accounts/,
	'a REVOKE in another session reaches alice at once');
$node->safe_psql('postgres', 'GRANT SELECT ON accounts TO alice');
$node->safe_psql('postgres', 'CREATE ROLE auditors; CREATE TABLE payroll (amount int); GRANT SELECT ON payroll TO auditors');
unlike($bob->query_safe(q{SELECT sqlpilot_prompt('SELECT ')}), qr/payroll/, 'bob cannot use payroll');
$node->safe_psql('postgres', 'GRANT auditors TO bob');
like($bob->query_safe(q{SELECT sqlpilot_prompt('SELECT ')}), qr/public\.payroll/,
	'role membership granted in another session counts at once');
$alice->quit;
$bob->quit;

# ---- cancel and statement_timeout stop generation ----
my $c = $node->background_psql('postgres', on_error_stop => 0);
$c->query_safe("SET sqlpilot.model_path = '$slow'; SET sqlpilot.max_tokens = 2");
$c->query_safe(q{SELECT sqlpilot_complete('SELECT 1') IS NOT NULL});    # load the model
$c->query_safe('SET sqlpilot.max_tokens = 4000');
$c->query_safe(q{SET statement_timeout = '300ms'});
my ($out, $err) = $c->query(q{SELECT sqlpilot_complete('SELECT * FROM ')});
like($c->{stderr}, qr/canceling statement due to statement timeout/, 'statement_timeout stops a completion');
$c->{stderr} = '';
my $computed = stat_of($c, 'last_computed_tokens');
ok($computed > 0 && $computed < 4000, "generation stopped midway ($computed of 4000 tokens)");
$c->query_safe(q{SET statement_timeout = 0});

my $pid = $c->query_safe('SELECT pg_backend_pid()');
$c->{stdin} .= "SELECT sqlpilot_complete('UPDATE accounts SET ');\n";
$c->{run}->pump_nb();
$node->poll_query_until('postgres',
	"SELECT wait_event IS NULL AND state = 'active' FROM pg_stat_activity WHERE pid = $pid")
  or diag('backend never became active');
$node->safe_psql('postgres', "SELECT pg_sleep(0.2); SELECT pg_cancel_backend($pid)");
($out, $err) = $c->query('SELECT 42');
like($c->{stderr}, qr/canceling statement due to user request/, 'pg_cancel_backend stops a completion');
$c->{stderr} = '';
is($c->query_safe('SELECT 7'), 7, 'the backend survives and keeps serving');
like($c->query_safe(q{SET sqlpilot.max_tokens = 4; SELECT sqlpilot_complete('SELECT ') IS NOT NULL}), qr/t$/,
	'and completes again');
$c->quit;

# ---- statement_timeout reaches a long prompt's prefill ----
# A 260K model with a 32k context and a prompt of ~22k tokens (a byte-level
# tokenizer: one token per byte): its prefill alone takes 25-50 s here.
my $long = "$dir/long.model";
system("$build/sqlpilot init --preset 260K --seq-len 32768 --seed 5 --out $long >/dev/null") == 0
  or BAIL_OUT('sqlpilot init failed');
my $lp = $node->background_psql('postgres', on_error_stop => 0);
$lp->query_safe("SET sqlpilot.model_path = '$long'; SET sqlpilot.max_prompt_tokens = 30000; "
	  . "SET sqlpilot.max_tokens = 4; SET sqlpilot.prompt_cache_files = 0");
$lp->query_safe(q{SELECT sqlpilot_complete('SELECT 1') IS NOT NULL});    # load the model
$lp->query_safe('\set VERBOSITY verbose');
my $long_prefix = substr('SELECT ' . join(' + ', map { "col_$_" } 1 .. 2500), 0, 22000);
$lp->query_safe(q{SET statement_timeout = '300ms'});
my $t0 = [ Time::HiRes::gettimeofday() ];
$lp->query("SELECT sqlpilot_complete('$long_prefix')");
my $took = Time::HiRes::tv_interval($t0);
my $timed_out = $lp->{stderr} =~ /ERROR:  57014: canceling statement due to statement timeout/;
$lp->{stderr} = '';
$lp->query_safe('SET statement_timeout = 0');
my $prompt_tokens = stat_of($lp, 'last_prompt_tokens');
my $rows = stat_of($lp, 'last_computed_tokens');
my $reused_before = stat_of($lp, 'last_reused_tokens');
ok($timed_out && $took < 5 && $prompt_tokens > 20000 && $rows < $prompt_tokens,
	sprintf('statement_timeout (57014) stops the prefill of a %d-token prompt after %.2f s (%d rows computed)',
		$prompt_tokens, $took, $rows));
$lp->query_safe(q{SET statement_timeout = '300ms'});
$lp->query("SELECT sqlpilot_complete('$long_prefix')");
$lp->{stderr} = '';
$lp->query_safe('SET statement_timeout = 0');
my $reused = stat_of($lp, 'last_reused_tokens');
ok($rows > 0 && $reused == $reused_before + $rows,
	"the next call reuses every row the stopped prefill computed ($reused_before + $rows)");
like($lp->query_safe(q{SELECT sqlpilot_complete('SELECT * FROM ') IS NOT NULL}), qr/^t$/,
	'and the session completes other prompts');
$lp->quit;

# ---- prompt cache files: a new session starts from another's schema prompt ----
$node->safe_psql('postgres', 'ALTER TABLE accounts ADD COLUMN cache_probe int');
my $cache_dir = $node->data_dir . '/pg_stat_tmp/sqlpilot';
my $probe = q{SELECT sqlpilot_complete('SELECT owner FROM accounts WHERE ')};
# One completion in a new session: (text, prompt cache hits, writes, reused tokens).
sub fresh_completion
{
	my ($setup) = @_;
	my $s = $node->background_psql('postgres');
	$s->query_safe($setup) if $setup;
	my $text = $s->query_safe($probe);
	my @r = ($text, map { stat_of($s, $_) } qw(prompt_cache_hits prompt_cache_writes last_reused_tokens));
	$s->quit;
	return @r;
}
unlink glob("$cache_dir/*.kv");		# files earlier sessions of this test left
my ($text1, $hits1, $writes1) = fresh_completion();
is("$hits1/$writes1", '0/1', 'a new schema text: no cache file yet, one written');
my @kv = glob("$cache_dir/*.kv");
my ($text2, $hits2, undef, $reused2) = fresh_completion();
ok($hits2 == 1 && $reused2 >= 64, "the next session starts from the file ($reused2 prompt tokens reused)");
is($text2, $text1, 'and completes exactly as the session that computed the prompt');
my ($text3, $hits3, $writes3) = fresh_completion('SET sqlpilot.prompt_cache_files = 0');
ok($hits3 == 0 && $writes3 == 0 && $text3 eq $text1, 'sqlpilot.prompt_cache_files = 0 turns it off');
for my $f (@kv)
{
	open(my $kfh, '+<', $f) or die "$f: $!";
	seek($kfh, 100, 0);
	print $kfh "\xff" x 64;
	close $kfh;
}
my ($text4, $hits4, $writes4) = fresh_completion();
ok(@kv == 1 && $hits4 == 0 && $writes4 == 1 && $text4 eq $text1,
	'a corrupt cache file is ignored (same completion) and rewritten');
my $alice2 = $node->background_psql('postgres', extra_params => [ '-U', 'alice' ]);
$alice2->query_safe($probe);
is(stat_of($alice2, 'prompt_cache_hits'), 0,
	"a role that sees other tables never starts from another role's prompt");
$alice2->quit;
$node->safe_psql('postgres', 'ALTER TABLE accounts ADD COLUMN cache_probe2 int');
fresh_completion();
$node->safe_psql('postgres', 'ALTER TABLE accounts ADD COLUMN cache_probe3 int');
fresh_completion('SET sqlpilot.prompt_cache_files = 2');
my @left = glob("$cache_dir/*.kv");
ok(@left == 2, 'old cache files are removed beyond sqlpilot.prompt_cache_files (' . scalar(@left) . ' left)');

# No OpenBLAS inside a backend: prefill runs on the core's own matrix kernels.
{
	my $s = $node->background_psql('postgres');
	$s->query_safe($probe);
	my $blas = $s->query_safe(q{SELECT pg_read_file('/proc/' || pg_backend_pid() || '/maps') ~ 'libopenblas'});
	ok($blas eq 'f', 'a prompt run from scratch maps no OpenBLAS into the backend');
	$s->quit;
}

# ---- model files replaced or broken under a live backend ----
my $live = "$dir/live.model";
system('cp', $model, $live);
my $d = $node->background_psql('postgres', on_error_stop => 0);
$d->query_safe("SET sqlpilot.model_path = '$live'");
my $sum1 = $d->query_safe(q{SELECT sqlpilot_model_info()->>'checksum'});
system("$build/sqlpilot init --preset 260K --seed 3 --out $dir/other.model >/dev/null");
rename("$dir/other.model", $live);
my $sum2 = $d->query_safe(q{SELECT sqlpilot_model_info()->>'checksum'});
isnt($sum2, $sum1, 'a model file replaced on disk is reloaded by the next call');
is(stat_of($d, 'model_loads'), 2, 'loaded twice in all');

open(my $fh, '>', "$dir/broken.tmp") or die;
print $fh 'this is not a model file' x 20;
close $fh;
rename("$dir/broken.tmp", $live);
$d->query(q{SELECT sqlpilot_complete('SELECT ')});
like($d->{stderr}, qr/model file .* is corrupt/, 'a corrupt replacement is a clear error');
$d->{stderr} = '';
system('cp', $model, $live);
like($d->query_safe(q{SELECT sqlpilot_complete('SELECT ') IS NOT NULL}), qr/^t$/,
	'a good file again works in the same backend');
unlink $live;
$d->query(q{SELECT sqlpilot_complete('SELECT ')});
like($d->{stderr}, qr/does not exist/, 'a deleted model file is a clear error');
$d->{stderr} = '';
$d->quit;
$a->quit;

# ---- model files the server may not read, or whose weights are NaN ----
# Runs $sql with verbose errors; returns what psql printed on stderr.
sub error_of
{
	my ($sql) = @_;
	my ($stdout, $stderr) = ('', '');
	$node->psql('postgres', "\\set VERBOSITY verbose\n$sql", stdout => \$stdout, stderr => \$stderr);
	return $stderr;
}
my $os_user = getpwuid($>);
my $unreadable = "$dir/unreadable.model";
system('cp', $model, $unreadable) == 0 or die;
chmod 0000, $unreadable;
my $perm = error_of("SET sqlpilot.model_path = '$unreadable'; SELECT sqlpilot_complete('SELECT ')");
ok($perm =~ /ERROR:  42501: could not read sqlpilot model file "\Q$unreadable\E": Permission denied/
	  && $perm =~ /HINT:  The server runs as operating system user "\Q$os_user\E"; make the file readable by it/,
	'an unreadable model file is 42501 permission denied, with a hint naming the server\'s OS user');
chmod 0600, $unreadable;

# A model whose weights are all NaN (as a diverged run leaves them), f32 and
# f16: its checksum made valid with the hash `sqlpilot info` reports.
for my $dtype ('f32', 'f16')
{
	my $nan = "$dir/nan_$dtype.model";
	system("$build/sqlpilot init --preset 260K --seed 4 --dtype $dtype --out $nan >/dev/null") == 0 or die;
	open(my $nfh, '+<:raw', $nan) or die "$nan: $!";
	my $size = -s $nan;
	seek($nfh, 88, 0);
	read($nfh, my $off, 8);
	my $woff = unpack('Q<', $off);
	seek($nfh, $woff, 0);
	print $nfh "\xff" x ($size - $woff);
	my $info = `$build/sqlpilot info --model $nan 2>&1`;
	$info =~ /contents hash to ([0-9a-f]{16})/ or die "no hash in: $info";
	seek($nfh, 120, 0);
	print $nfh pack('Q<', hex($1));
	close $nfh;
	like(`$build/sqlpilot info --model $nan 2>&1`, qr/weights are not finite: NaN or Inf in tensor token_embedding, element 0/,
		"sqlpilot info refuses an all-NaN $dtype model, naming the tensor");
	my $e = error_of("SET sqlpilot.model_path = '$nan'; SELECT sqlpilot_complete('SELECT ')");
	ok($e =~ /ERROR:  XX001: sqlpilot model file "\Q$nan\E" is broken: its weights are not finite/
		  && $e =~ /DETAIL:  .*NaN or Inf in tensor token_embedding/
		  && $e =~ /HINT:  .*diverged loss/,
		"an all-NaN $dtype model is refused at load (XX001, names the tensor)");
}

# ---- a model file overwritten in place under a running completion ----
# (cp onto the installed file truncates it, then writes: a backend that read
# its weights straight from a mapping of that file died of SIGBUS.)
my $inplace = "$dir/inplace.model";
system('cp', $slow, $inplace) == 0 or die;
my $sum_small = $node->safe_psql('postgres',
	"SET sqlpilot.model_path = '$model'; SELECT sqlpilot_model_info()->>'checksum'");
my $w = $node->background_psql('postgres', on_error_stop => 0);
$w->query_safe("SET sqlpilot.model_path = '$inplace'; SET sqlpilot.max_tokens = 2");
$w->query_safe(q{SELECT sqlpilot_complete('SELECT 1') IS NOT NULL});    # load the model
$w->query_safe('SET sqlpilot.max_tokens = 2000');
my $wpid = $w->query_safe('SELECT pg_backend_pid()');
$w->{stdin} .= "SELECT length(sqlpilot_complete('UPDATE accounts SET ')) >= 0 AS survived;\n";
$w->{run}->pump_nb();
$node->poll_query_until('postgres',
	"SELECT wait_event IS NULL AND state = 'active' FROM pg_stat_activity WHERE pid = $wpid")
  or diag('backend never became active');
truncate($inplace, 0) or die "truncate: $!";
my $running = '';
$node->psql('postgres', "SELECT pg_sleep(0.3); SELECT state FROM pg_stat_activity WHERE pid = $wpid",
	stdout => \$running);
$running = $running =~ /(\w+)\s*$/ ? $1 : 'gone';    # the last line: the state
system('cp', $model, $inplace) == 0 or die;
{
	# a backend killed by a signal takes its psql along: report, do not die
	local $SIG{PIPE} = 'IGNORE';
	($out, $err) = eval { $w->query('SELECT 42') };
}
ok($running eq 'active' && ($out // '(psql died)') =~ /^t\n42$/m,
	"a completion running while its model file is truncated and overwritten in place finishes (backend '$running' 0.3 s after the truncation)");
unlike(slurp_file($node->logfile), qr/terminated by signal/, 'no backend died of a signal');
is($w->query_safe(q{SELECT sqlpilot_model_info()->>'checksum'}), $sum_small,
	'the next call of the same session loads the model now in the file');
truncate($inplace, 5000) or die "truncate: $!";
$w->{stderr} = '';
$w->query(q{SELECT sqlpilot_complete('SELECT ')});
like($w->{stderr}, qr/model file .* is corrupt/, 'a model file truncated in place is a clear error');
$w->{stderr} = '';
is($w->query_safe('SELECT 7'), 7, 'and the session goes on');
$w->quit;

ok($node->safe_psql('postgres', 'SELECT 1') eq '1', 'server still up');
$node->stop;
done_testing();
