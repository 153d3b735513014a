#!/usr/bin/perl
# The check of whole-statement completions (extension/validate.c) against
# other sessions, on a temporary cluster (PostgreSQL::Test::Cluster): a
# table locked by another transaction is waited for only briefly (the
# statement is then not checked, and nothing of the wait is left), a
# statement_timeout during the check still cancels the statement, and after
# such an error the function manager hooks are gone.  sqlpilot_check() needs
# no model.  Uses the staged install of `make check`.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use lib dirname(abs_path($0));
our ($root, $build);
use SqlpilotTAP 'validate';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = start_node('validate');
$node->safe_psql('postgres', q{
	CREATE EXTENSION sqlpilot;
	CREATE TABLE orders (id int PRIMARY KEY, total numeric);
	CREATE FUNCTION plain_sql() RETURNS int LANGUAGE sql AS 'SELECT 42';
});

is($node->safe_psql('postgres', q{SELECT sqlpilot_check('SELECT total FROM orders')}), 't',
	'the statement checks when nobody holds a lock');

# Session A holds ACCESS EXCLUSIVE on orders in an open transaction.
my $a = $node->background_psql('postgres');
$a->query_safe('BEGIN; LOCK orders IN ACCESS EXCLUSIVE MODE');

my $b = $node->background_psql('postgres');
is($b->query_safe(q{SELECT sqlpilot_check('SELECT total FROM orders') IS NULL}), 't',
	'a table locked by another session: not checked (the lock wait timed out)');
is($b->query_safe('SHOW lock_timeout'), '0', 'the session keeps its lock_timeout');
is($b->query_safe(q{SELECT count(*) FROM pg_locks l WHERE l.pid = pg_backend_pid()
	AND l.locktype = 'relation' AND l.relation = 'orders'::regclass}), '0',
	'no lock on the table is held or awaited afterwards');
$b->query_safe(q{SET lock_timeout = '5ms'});
is($b->query_safe(q{SELECT sqlpilot_check('SELECT total FROM orders') IS NULL}), 't',
	'a shorter lock_timeout of the session: not checked either');
is($b->query_safe('SHOW lock_timeout'), '5ms', 'and the session keeps it');
$b->query_safe('RESET lock_timeout');
is($b->query_safe(q{BEGIN; SELECT sqlpilot_check('SELECT total FROM orders') IS NULL;
	SELECT plain_sql(); COMMIT}), "t\n42", 'inside a transaction block, which goes on');
is($b->query_safe(q{SELECT sqlpilot_check('SELECT 1 FROM nosuch')}), 'f',
	'a statement naming no locked table is still checked meanwhile');

# A statement_timeout that fires while the check waits cancels the statement
# (the cancel is not swallowed as a failed check), and the hooks are gone.
my ($ret, $out, $err) = $node->psql('postgres', q{
	SET lock_timeout = 0;
	SET statement_timeout = '5ms';
	SELECT sqlpilot_check('SELECT total FROM orders');
	RESET statement_timeout;
	SELECT plain_sql();
}, on_error_stop => 0);
like($err, qr/canceling statement due to statement timeout/,
	'statement_timeout during the lock wait raises its error (not a failed check)');
like($out, qr/^42$/m, 'after the cancel, a function that is not built in runs again (hooks restored)');

$a->query_safe('COMMIT');
is($b->query_safe(q{SELECT sqlpilot_check('SELECT total FROM orders')}), 't',
	'once the lock is released the statement checks again');
$a->quit;
$b->quit;
$node->stop;
done_testing();
