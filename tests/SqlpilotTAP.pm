# The setup the extension's TAP suites share (tests/extension_*.pl): finds the
# source and build trees, puts the server's binaries on PATH and
# PostgreSQL::Test's modules on @INC, and gives the suite its own temporary
# directory as TESTDIR.  Started as root, the suite re-runs itself as the
# postgres user (initdb refuses root).  start_node() starts a cluster with the
# staged extension.  Load it before PostgreSQL::Test::Cluster:
#   use SqlpilotTAP 'name';   # TESTDIR is /tmp/sqlpilot-ext-name.XXXXXX
package SqlpilotTAP;
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);

our ($root, $build);

# Runs when a suite says `use SqlpilotTAP 'name'`; exports $root and $build.
sub import
{
	my (undef, $name) = @_;
	my $caller = caller;
	$root = $ENV{SQLPILOT_ROOT} || dirname(dirname(abs_path($0)));
	$build = $ENV{SQLPILOT_BUILD} || "$root/build";
	chomp(my $pgbin = `pg_config --bindir`);
	$ENV{PATH} = "$pgbin:$ENV{PATH}";
	chomp(my $pgxs = `pg_config --pgxs`);
	($ENV{PG_REGRESS} = $pgxs) =~ s{makefiles/pgxs\.mk$}{test/regress/pg_regress};
	(my $perl_lib = $pgxs) =~ s{makefiles/pgxs\.mk$}{test/perl};
	unshift @INC, $perl_lib;
	my $pattern = "/tmp/sqlpilot-ext-$name.XXXXXX";
	my $script = abs_path($0);
	if ($> == 0)
	{
		my $tmp = tempdir($pattern, CLEANUP => 1);
		my (undef, undef, $uid, $gid) = getpwnam('postgres');
		chown $uid, $gid, $tmp;
		chmod 0755, $tmp;
		$ENV{TESTDIR} = $tmp;
		$ENV{SQLPILOT_ROOT} = $root;
		$ENV{SQLPILOT_BUILD} = $build;
		chdir $tmp;
		my $status = system('runuser', '-u', 'postgres', '--', $^X, $script);
		exit($status == 0 ? 0 : 1);
	}
	$ENV{TESTDIR} ||= tempdir($pattern, CLEANUP => 1);
	chdir $ENV{TESTDIR};
	no strict 'refs';
	${"${caller}::root"} = $root;
	${"${caller}::build"} = $build;
	*{"${caller}::start_node"} = \&start_node;
}

# start_node(NAME, MODEL, CONF): a started PostgreSQL::Test::Cluster whose
# server loads the extension from the staged install of `make check`
# (extension_destdir).  With MODEL (a path), a random model is made there
# (`sqlpilot init --preset 260K --seq-len 1024 --seed 1`) and is
# sqlpilot.model_path.  CONF: more lines for postgresql.conf.
sub start_node
{
	my ($name, $model, $conf) = @_;
	my $install = "$build/install";
	require PostgreSQL::Test::Cluster;
	Test::More::BAIL_OUT("no staged install in $install (run make check)") unless -d $install;
	if ($model)
	{
		system("$build/sqlpilot init --preset 260K --seq-len 1024 --seed 1 --out $model >/dev/null") == 0
		  or Test::More::BAIL_OUT('sqlpilot init failed');
	}
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "extension_destdir = '$install'\n"
		  . ($model ? "sqlpilot.model_path = '$model'\n" : '') . ($conf // ''));
	$node->start;
	return $node;
}

1;
