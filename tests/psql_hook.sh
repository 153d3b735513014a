#!/bin/bash
# psql_hook.sh — drives a real psql through sqlpilot-psql in tmux against a
# temporary PostgreSQL instance (log_statement = all).  Sections 0-15, server
# mode: a stand-in version of the sqlpilot extension gives canned answers
# from plpgsql ("zzslow" in the prefix sleeps 5 s, "zzfail" raises); also an
# attacker's function and operators, secrets typed before TAB, a backend (and
# postmaster) stopped by SIGSTOP.  Sections 16-22, client mode (the default):
# the model runs in psql against a database without the extension, with the
# default model (`sqlpilot complete --dsn`, the same client code, gives the
# expected candidates).  Prints TAP.  Uses the staged install ($SQLPILOT_BUILD/install)
# when there is one, else the launcher and library in $SQLPILOT_BUILD/psql_hook.
set -u
ROOT=${SQLPILOT_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${SQLPILOT_BUILD:-$ROOT/build}
PGBIN=/usr/lib/postgresql/15/bin
BINDIR=$(pg_config --bindir)
SHAREDIR=$(pg_config --sharedir)

n=0
failed=0
# ok COND-STATUS NAME: one TAP line.
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
diag() { echo "# $*"; }

if [ -x "$BUILD/install$BINDIR/sqlpilot-psql" ]; then
	LAUNCHER=$BUILD/install$BINDIR/sqlpilot-psql
	HOOKENV=""
	diag "using the staged launcher $LAUNCHER"
elif [ -x "$BUILD/psql_hook/sqlpilot-psql" ]; then
	LAUNCHER=$BUILD/psql_hook/sqlpilot-psql
	HOOKENV="SQLPILOT_PSQL_HOOK=$BUILD/psql_hook/sqlpilot_psql.so"
	diag "using the built launcher $LAUNCHER"
else
	echo "not ok 1 - sqlpilot-psql is built (make BUILD=... psql-hook)"
	exit 1
fi

# sections 0-15 test the server mode; 16-22 the client mode (CLIENTENV)
BASEENV=$HOOKENV
HOOKENV="$BASEENV SQLPILOT_PSQL_MODE=server"

T=$(mktemp -d /tmp/sqlpilot_hook.XXXXXX)
chmod 755 "$T"
TM="tmux -S $T/tmux0.sock"
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
STOPPED=""
cleanup() {
	[ -n "$STOPPED" ] && kill -CONT $STOPPED 2>/dev/null
	$TM kill-server >/dev/null 2>&1
	as_pg "$PGBIN/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$T"

# ---- the temporary instance ----
as_pg "$PGBIN/initdb" -D "$T/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$T/initdb.log" 2>&1
ok $? "initdb" || { cat "$T/initdb.log"; exit 1; }
cat >>"$T/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$T'
fsync = off
log_statement = 'all'
EOF
# The extension comes from $T/ext (extension_destdir): the real one when it is
# staged (links to the staged files), and always a stand-in version of it,
# "standin", whose sqlpilot_completions() is plpgsql with canned answers.
PKGLIBDIR=$(pg_config --pkglibdir)
STAGED_EXT=0
mkdir -p "$T/ext$SHAREDIR/extension" "$(dirname "$T/ext$PKGLIBDIR")"
if [ -f "$BUILD/install$SHAREDIR/extension/sqlpilot.control" ]; then
	ln -s "$BUILD/install$SHAREDIR/extension/"* "$T/ext$SHAREDIR/extension/"
	ln -s "$BUILD/install$PKGLIBDIR" "$T/ext$PKGLIBDIR"
	STAGED_EXT=1
else
	printf "default_version = 'standin'\nrelocatable = false\n" >"$T/ext$SHAREDIR/extension/sqlpilot.control"
fi
cat >"$T/ext$SHAREDIR/extension/sqlpilot--standin.sql" <<'EOF'
CREATE FUNCTION sqlpilot_completions(prefix text, n int)
RETURNS TABLE(completion text, score float8, valid bool, kind text) LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE 'stand-in notice for %', prefix;
	IF prefix LIKE '%zzslow%' THEN
		PERFORM pg_sleep(5);
	END IF;
	IF prefix LIKE '%zzfail%' THEN
		RAISE EXCEPTION 'stand-in failure';
	END IF;
	-- rows as the extension gives them: next words, next clauses, the best statement
	IF prefix LIKE E'%\n%us' THEN
		RETURN QUERY SELECT 'ers_after_' || regexp_replace(split_part(prefix, E'\n', 1), '\W', '_', 'g'), -1.0::float8, NULL::bool, 'word';
	ELSIF prefix LIKE '%FROM us' THEN
		RETURN QUERY VALUES ('ers', -1.0::float8, NULL::bool, 'word'), ('ers_archive', -2.0, NULL, 'word'),
			('ers WHERE id = ', -1.0, NULL, 'clause'), ('ers_archive ORDER BY name', -2.0, NULL, 'clause'),
			('ers WHERE id = 42;', -1.0, true, 'statement');
	ELSIF prefix LIKE '%FROM ' THEN
		RETURN QUERY VALUES ('modeltable_from_standin', -1.0::float8, NULL::bool, 'word');
	ELSIF prefix LIKE '%WHERE id ' THEN
		RETURN QUERY VALUES ('= 7;', -1.0::float8, true, 'statement');
	ELSIF prefix LIKE '%FROM zzv' THEN
		RETURN QUERY VALUES ('alid_one', -1.0::float8, NULL::bool, 'word'), ('alid_two', -2.0, NULL, 'word'),
			('alid_one WHERE refused_col = 1;', -1.0, false, 'statement');
	END IF;
END $$;
EOF
echo "extension_destdir = '$T/ext'" >>"$T/data/postgresql.conf"
as_pg "$PGBIN/pg_ctl" -D "$T/data" -l "$T/server.log" -w start >/dev/null
ok $? "server started" || exit 1
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h $T -U postgres"
$PSQL -d postgres -c "CREATE DATABASE hooktest" >/dev/null
# the stand-in lives in a schema that is not on search_path: the hook finds it through pg_extension
$PSQL -d hooktest >/dev/null <<'EOF'
CREATE TABLE users (id int, name text);
CREATE TABLE user_roles (user_id int, role text);
INSERT INTO users VALUES (42, 'alice42'), (7, 'bob7');
CREATE SCHEMA sqlpilot;
CREATE EXTENSION sqlpilot VERSION 'standin' SCHEMA sqlpilot;
EOF
ok $? "stand-in sqlpilot extension created"

# ---- the psql session in tmux ----
cat >"$T/inputrc" <<'EOF'
set bell-style none
set show-all-if-ambiguous on
$if psql
"\e\t": sqlpilot-complete
$endif
EOF
# start_psql DB [PSQL]: a fresh psql (default: the launcher) in a fresh tmux
# session; stderr goes to $T/stderr.
sessions=0
start_psql() {
	$TM kill-server >/dev/null 2>&1
	sessions=$((sessions + 1))
	TM="tmux -S $T/tmux$sessions.sock"
	MARK=""
	: >"$T/stderr"
	$TM new-session -d -s t -x 200 -y 50 \
		"env $HOOKENV HOME=$T INPUTRC=$T/inputrc PSQL_HISTORY=$T/history PAGER=cat \
		${2:-$LAUNCHER} -X -h $T -U postgres -d $1 2>>$T/stderr; sleep 600"
	expect "^$1=# $" "psql prompt for $1"
}
screen() { $TM capture-pane -p -J -t t -S -1000 2>/dev/null; }
# after_mark: the screen below the last line holding only the current marker.
after_mark() { screen | awk -v m="$MARK" 'm != "" && $0 == m { buf = ""; next } { buf = buf $0 "\n" } END { printf "%s", buf }'; }
# wait_for ERE: polls the screen (below the marker) for up to 20 s.
wait_for() {
	for _ in $(seq 200); do
		after_mark | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
expect() {
	wait_for "$1"
	ok $? "$2" || { diag "screen:"; after_mark | sed 's/^/#   /'; }
}
keys() { $TM send-keys -t t "$@"; }
# typed TEXT: sends TEXT as bytes (tmux would take a trailing ';' as a command separator).
typed() { $TM send-keys -t t -H $(printf '%s' "$1" | od -An -tx1); }
# mark: clears the line and the query buffer, then prints a fresh marker.
MARK=""
marks=0
mark() {
	marks=$((marks + 1))
	keys C-c
	sleep 0.2
	typed "\\echo MARK$marks"
	keys Enter
	MARK="MARK$marks"
	wait_for "=[*!]?# $" || diag "no prompt after $MARK"
}
calls() { grep -c 'sqlpilot_completions(\$1' "$T/server.log"; }
# flush_log: a round trip that is logged after whatever came before it.
flush_log() {
	typed "SELECT 'flushed$marks';"
	keys Enter
	wait_for "^ flushed$marks"
}

# 0. where the model has nothing to add, TAB does exactly what plain psql does
INPUTS=("SEL" "SELECT * FROM user_r" "SELECT * FROM u" "\\d user" "ALTER TABLE users ADD "
	"INSERT INTO users (" "SELECT name FROM users WHERE n" "select * from USER")
# tab_screens FILE: types each input, TAB, then an end marker; saves what follows each mark.
tab_screens() {
	: >"$1"
	for inp in "${INPUTS[@]}"; do
		mark
		typed "$inp"
		keys Tab
		typed "~END"
		wait_for "~END" || diag "no ~END after: $inp"
		after_mark >>"$1"
	done
}
start_psql hooktest "$PGBIN/psql"
tab_screens "$T/plain.txt"
start_psql hooktest
tab_screens "$T/hooked.txt"
calls_seen=$(calls)
cmp -s "$T/plain.txt" "$T/hooked.txt"
ok $? "TAB output is identical to plain psql's when the model adds nothing ($calls_seen queries sent)" ||
	diff "$T/plain.txt" "$T/hooked.txt" | sed 's/^/#   /'
grep -q "user_roles" "$T/plain.txt"
ok $? "the comparison saw psql's completions"

# 1. psql's candidates plus the model's (words, clauses, the best statement)
mark
typed "SELECT name FROM us"
keys Tab
expect "user_roles" "TAB lists psql's own candidates"
expect "users_archive" "TAB adds the model's word candidates"
expect "users WHERE id =( |$)" "TAB adds the model's next-clause candidate"
expect "users_archive ORDER BY name" "TAB adds every next-clause candidate"
expect "users WHERE id = 42;" "TAB adds the model's best whole statement"
grep -q "stand-in notice" "$T/stderr"
ok $((! $?)) "the server's NOTICE does not leak to the terminal"
! screen | grep -q "stand-in notice"
ok $? "the server's NOTICE is not on the screen"

# 1b. a statement the server refused (valid false) is not offered; the words are
mark
typed "SELECT name FROM zzv"
keys Tab
expect "zzvalid_two" "TAB offers the words beside a refused statement"
! after_mark | grep -q "refused_col"
ok $? "TAB does not offer a statement the extension found invalid"
keys C-c

# 2. the dedicated key inserts the whole clause; the statement runs
mark
typed "SELECT name FROM us"
keys Escape Tab
expect "FROM users WHERE id = 42;" "the sqlpilot-complete key inserts the best completion"
keys Enter
expect "^ alice42" "the completed statement runs"

# 3. a single model candidate completes the line on TAB
mark
typed "SELECT name FROM users WHERE id "
keys Tab
expect "WHERE id = 7;" "TAB with one candidate completes the whole clause"
keys Enter
expect "^ bob7" "the TAB-completed statement runs"

# 4. multi-line statement: the earlier line is in the prefix
mark
typed "SELECT name"
keys Enter
typed "FROM us"
keys Tab
expect "users_after_SELECT_name" "a multi-line statement is completed with its earlier lines in view"

# 5. Ctrl-C clears the tracked statement too
mark
typed "SELECT id"
keys Enter
keys C-c
sleep 0.3
typed "SELECT name FROM us"
keys Tab
expect "users_archive" "after Ctrl-C the earlier line is forgotten"
! after_mark | grep -q "users_after_SELECT_id"
ok $? "no stale earlier line after Ctrl-C"

# 6. after ';' a new statement starts
mark
typed "SELECT 1;"
keys Enter
typed "SELECT name FROM us"
keys Tab
expect "users_archive" "a finished statement is not part of the next prefix"

# 6b. a ';' inside quotes or a comment does not end the statement
mark
typed "SELECT 'a;b' AS x, -- c;d"
keys Enter
typed "name FROM us"
keys Tab
expect "users_after_SELECT__a_b__AS_x_____c_d" "a quoted ';' keeps the earlier line in the prefix"
mark
typed 'SELECT $q$a;b$q$ AS x,'
keys Enter
typed "name FROM us"
keys Tab
expect 'users_after_SELECT__q_a_b_q__AS_x_' "a ';' in a dollar quote keeps the earlier line in the prefix"

# 6c. after \c the new connection is used
mark
typed "\\c hooktest"
keys Enter
expect "You are now connected" "\\c reconnects"
mark
typed "SELECT name FROM us"
keys Tab
expect "users_archive" "completion works on the connection made by \\c"

# 7. backslash commands send nothing
mark
flush_log
before=$(calls)
typed "\\d us"
keys Tab
expect "user_roles" "psql completes a backslash command as before"
flush_log
ok $(($(calls) != before)) "no completion query for a backslash command"

# 8. inside a failed transaction nothing is sent
mark
flush_log
before=$(calls)
typed "BEGIN;"
keys Enter
typed "SELECT 1/0;"
keys Enter
expect "=!# ?$" "the transaction failed"
typed "SELECT name FROM us"
keys Tab
sleep 1
keys C-c
typed "ROLLBACK;"
keys Enter
expect "^ROLLBACK|=# $" "the session is usable after TAB in a failed transaction"
flush_log
ok $(($(calls) != before)) "no completion query inside a failed transaction"

# 9. inside an open transaction: a savepoint, rolled back and released
mark
typed "BEGIN;"
keys Enter
typed "INSERT INTO users VALUES (8, 'carol8');"
keys Enter
wait_for "=\\*# $"
before=$(calls)
typed "SELECT name FROM us"
keys Tab
expect "users_archive" "completion works inside a transaction block"
keys C-c
typed "SELECT zzfail FROM us"
keys Tab
expect "user_roles" "a failing completion inside a transaction shows psql's candidates"
keys C-c
typed "COMMIT;"
keys Enter
expect "^COMMIT" "the transaction commits after a failed completion (savepoint rolled back)"
ok $(( $(grep -c "stand-in failure" "$T/stderr") != 1 )) "the failure is said once on stderr"
typed "SELECT name FROM users WHERE id = 8;"
keys Enter
expect "^ carol8" "the transaction's work was kept"
ok $(( $(grep -c "SAVEPOINT sqlpilot_psql" "$T/server.log") < 2 )) "the completion ran inside a savepoint"

# 10. a slow server does not freeze the prompt past the bound
mark
typed "SELECT zzslow FROM us"
t0=$(date +%s.%N)
keys Tab
wait_for "user_roles"
t1=$(date +%s.%N)
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
diag "psql's candidates came back after ${elapsed}s (server sleeps 5 s, bound 300 ms)"
ok $(awk -v e="$elapsed" 'BEGIN { print (e < 2) ? 0 : 1 }') "a slow completion is cancelled: candidates shown in < 2 s"
grep -q "longer than 300 ms" "$T/stderr"
ok $? "the timeout is said on stderr"
keys C-c
typed "SELECT 'alive' AS state;"
keys Enter
expect "^ alive" "the connection is usable after the cancelled completion"

# 11. a slow completion inside a transaction leaves it intact
mark
typed "BEGIN;"
keys Enter
typed "INSERT INTO users VALUES (9, 'dave9');"
keys Enter
wait_for "=\\*# $"
typed "SELECT zzslow FROM us"
keys Tab
expect "user_roles" "a slow completion inside a transaction shows psql's candidates"
keys C-c
typed "COMMIT;"
keys Enter
expect "^COMMIT" "the transaction commits after a cancelled completion"

# 11b. a server that does not answer at all does not hang TAB, and the
# session works once it answers again
# timed_tab NAME: TAB, then ~END; ok when readline took ~END within 3 s.
timed_tab() {
	local t0 t1 elapsed
	t0=$(date +%s.%N)
	keys Tab
	typed "~END"
	wait_for "~END"
	t1=$(date +%s.%N)
	elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	diag "$1: TAB returned after ${elapsed}s"
	ok $(awk -v e="$elapsed" 'BEGIN { print (e < 3) ? 0 : 1 }') "$1: TAB returns in < 3 s"
}
mark
typed "SELECT pg_backend_pid() AS bpid;"
keys Enter
wait_for "^ *[0-9]+$"
BPID=$(after_mark | grep -Eo '^ *[0-9]+$' | tr -d ' ' | head -1)
PMPID=$(head -1 "$T/data/postmaster.pid")
diag "backend $BPID, postmaster $PMPID"
# a: the backend stopped (the cancel request is taken, the query never ends)
mark
typed "SELECT zzstop"
STOPPED=$BPID
kill -STOP $BPID
timed_tab "backend stopped"
keys BSpace BSpace BSpace BSpace
timed_tab "backend stopped, TAB again"
STOPPED=""
kill -CONT $BPID
keys C-c
typed "SELECT 'alive' || 1 AS state;"
keys Enter
expect "^ alive1" "after SIGCONT the session runs a query with the right result"
# b: the postmaster stopped too (PQcancel's connection is accepted but never answered)
mark
typed "SELECT zzstop"
STOPPED="$PMPID $BPID"
kill -STOP $PMPID $BPID
timed_tab "backend and postmaster stopped"
STOPPED=""
kill -CONT $PMPID $BPID
keys C-c
typed "SELECT 'alive' || 2 AS state;"
keys Enter
expect "^ alive2" "after SIGCONT to both the session runs a query with the right result"
# c: the backend stopped in a transaction block (the savepoint is released afterwards)
mark
typed "BEGIN;"
keys Enter
typed "INSERT INTO users VALUES (10, 'erin10');"
keys Enter
wait_for "=\\*# $"
typed "SELECT zzstop"
STOPPED=$BPID
kill -STOP $BPID
timed_tab "backend stopped in a transaction"
STOPPED=""
kill -CONT $BPID
keys C-c
typed "COMMIT;"
keys Enter
expect "^COMMIT" "the transaction commits after the stopped completion"
typed "SELECT name || '!' AS n FROM users WHERE id = 10;"
keys Enter
expect "^ erin10!" "the transaction's work was kept"

# 12. children of psql run without the hook
mark
typed '\! echo "preload=[$LD_PRELOAD]"'
keys Enter
expect "^preload=\[\]" "LD_PRELOAD is removed for programs psql starts"

# 12b. a statement that may hold a secret is never sent: the word password
# anywhere, or the cursor in a string literal or a comment (log_statement = all
# logs the prefix parameter in a DETAIL line)
mark
log_at=$(wc -c <"$T/server.log")
for inp in "ALTER ROLE x PASSWORD 'secretXYZ" "SELECT 'secretABC" \
	"CREATE USER u WITH password 'secretDEF' VALID UNTIL " "SELECT E'secretGHI\\" \
	'SELECT $q$secretJKL' "SELECT 1 /* secretMNO" "SELECT 1 -- secretPQR" \
	"SELECT harmless FROM users" "UPDATE users SET name = 'secretSTU"; do
	typed "$inp"
	keys Tab
	typed "~END"
	wait_for "~END"
	keys C-c
	sleep 0.2
done
flush_log
tail -c +$((log_at + 1)) "$T/server.log" >"$T/log12b"
grep -q "SELECT harmless FROM users" "$T/log12b"
ok $? "a statement without a secret is sent"
! grep -q "secret" "$T/log12b"
ok $? "no secret typed before TAB reaches the server log$(grep -m1 -o "secret[A-Z]*" "$T/log12b" | sed 's/^/ (/; s/$/)/')"
mark
typed "SELECT * FROM "
keys Tab
expect "modeltable_from_standin" "a plain statement still gets the model's candidates"

# 13. with the extension dropped psql completes as before
mark
typed "DROP EXTENSION sqlpilot;"
keys Enter
wait_for "=# $"
mark
: >"$T/stderr"
log_at=$(wc -c <"$T/server.log")
typed "SELECT name FROM us"
keys Tab
expect "user_roles +users" "without the extension psql's candidates are listed"
! after_mark | grep -q "users_archive"
ok $? "no model candidates without the extension"
keys C-c
typed "SELECT * FROM user_r"
keys Tab
expect "FROM user_roles $" "psql's unique completion is unchanged"
keys C-c
typed "SELECT name FROM us"
keys Tab
sleep 0.5
ok $(( $(grep -c "not installed" "$T/stderr") != 1 )) "the missing extension is said once on stderr"
keys C-c
typed "SELECT * FROM "
keys Tab
keys Tab
typed "~END"
wait_for "~END"
keys C-c
sleep 0.2
flush_log
tail -c +$((log_at + 1)) "$T/server.log" >"$T/log13"
! grep -q "ERROR" "$T/log13"
ok $? "no server ERROR from 5 TABs without the extension$(grep -m1 ERROR "$T/log13" | sed 's/^/ (/; s/$/)/')"
ok $(( $(grep -c "pg_extension" "$T/log13") != 1 )) "the extension is looked for once per connection ($(grep -c "pg_extension" "$T/log13") lookups)"
mark
typed "CREATE EXTENSION sqlpilot VERSION 'standin' SCHEMA sqlpilot;"
keys Enter
wait_for "=# $"
mark
typed "SELECT * FROM "
keys Tab
expect "modeltable_from_standin" "CREATE EXTENSION in the session is picked up on the next TAB"

# 13b. in a database without the extension, another role's sqlpilot_completions()
# (in public) and operators (in a schema first on search_path) never run
$PSQL -d postgres -c "CREATE DATABASE noext" >/dev/null
$PSQL -d noext >/dev/null <<'EOF'
CREATE ROLE attacker LOGIN;
GRANT CREATE ON SCHEMA public TO attacker;
CREATE SCHEMA evil AUTHORIZATION attacker;
SET ROLE attacker;
CREATE TABLE public.attacker_log (what text);
GRANT INSERT ON public.attacker_log TO PUBLIC;
CREATE FUNCTION public.sqlpilot_completions(prefix text, n int)
RETURNS TABLE(completion text, score float8) LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.attacker_log VALUES ('function as ' || current_user || ': ' || prefix);
	IF pg_catalog.current_setting('is_superuser') = 'on' THEN
		ALTER ROLE attacker CREATEDB CREATEROLE;
	END IF;
	RETURN QUERY VALUES ('ers_from_attacker', -1.0::float8);
END $$;
CREATE FUNCTION evil.name_eq(name, name) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.attacker_log VALUES ('name operator: ' || pg_catalog.current_query());
	RETURN pg_catalog.nameeq($1, $2);
END $$;
CREATE OPERATOR evil.= (LEFTARG = name, RIGHTARG = name, FUNCTION = evil.name_eq);
CREATE FUNCTION evil.oid_eq(oid, oid) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.attacker_log VALUES ('oid operator: ' || pg_catalog.current_query());
	RETURN pg_catalog.oideq($1, $2);
END $$;
CREATE OPERATOR evil.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = evil.oid_eq);
EOF
ok $? "an unprivileged role's sqlpilot_completions() and operators created"
start_psql noext
mark
typed "SET search_path = evil, pg_catalog, public;"
keys Enter
wait_for "^SET"
mark
log_at=$(wc -c <"$T/server.log")
typed "SELECT name FROM us"
keys Tab
typed "~END"
expect "~END" "TAB returns in a database with an attacker's function"
flush_log
tail -c +$((log_at + 1)) "$T/server.log" | grep -q "pg_extension"
ok $? "the hook looked for the extension"
# (psql's own completion queries use plain operators: those runs are psql's, not the hook's)
recorded=$($PSQL -d noext -Atc "SELECT pg_catalog.string_agg(pg_catalog.left(what, 120), ' | ')
	FROM public.attacker_log WHERE what LIKE 'function%' OR what ~ '(pg_extension|sqlpilot)'" | tr '\n' ' ' | sed 's/ *$//')
[ -z "$recorded" ]
ok $? "the attacker's function and operators did not run in the hook's queries${recorded:+ (ran: $recorded)}"
[ "$($PSQL -d noext -Atc "SELECT rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = 'attacker'")" = f ]
ok $? "the attacker gained no privilege"
! after_mark | grep -q "users_from_attacker"
ok $? "the attacker's completions are not offered"

# 14. non-interactive psql is untouched; without a library the launcher still runs psql
out=$(env $HOOKENV "$LAUNCHER" -X -h "$T" -U postgres -d hooktest -Atc "SELECT 'plain'" 2>"$T/launcher.err")
[ "$out" = plain ] && [ ! -s "$T/launcher.err" ]
ok $? "psql -c through the launcher prints exactly what psql prints"
out=$(env SQLPILOT_PSQL_HOOK=$T/nonexistent.so "$LAUNCHER" -X -h "$T" -U postgres -d hooktest -Atc "SELECT 'plain'" 2>"$T/launcher.err")
[ "$out" = plain ] && grep -q "not found" "$T/launcher.err"
ok $? "the launcher falls back to plain psql when the library is missing"

# 15. optionally, the real extension from the staged install
if [ "$STAGED_EXT" -eq 1 ] && $PSQL -d postgres -c "CREATE DATABASE realext" >/dev/null &&
	$PSQL -d realext -c "CREATE EXTENSION sqlpilot; CREATE TABLE users (id int, name text);" >/dev/null 2>"$T/ext.err"; then
	HOOKENV="$HOOKENV SQLPILOT_PSQL_TIMEOUT_MS=20000"
	direct=$($PSQL -d realext -Atc "SELECT completion FROM sqlpilot_completions('SELECT name FROM us', 5) LIMIT 1" 2>&1)
	direct_ok=$?
	start_psql realext
	mark
	typed "SELECT name FROM us"
	keys Tab
	expect "users" "with the real extension psql's candidates are still listed"
	if [ $direct_ok -eq 0 ] && [ -n "$(printf '%s' "$direct" | tr -d ' \n\t')" ]; then
		clause=us$(printf '%s' "$direct" | tr '\n\t\r' '   ' | sed 's/ *$//')
		for _ in $(seq 200); do
			after_mark | grep -qF -- "$clause" && break
			sleep 0.1
		done
		after_mark | grep -qF -- "$clause"
		ok $? "the real extension's best completion is offered ($clause)"
	else
		diag "the real sqlpilot_completions() gave no completion: $(printf "%s" "$direct" | tr "\n" " ")"
	fi
	keys C-c
	typed "SELECT 'alive' AS state;"
	keys Enter
	expect "^ alive" "the session is usable after completing with the real extension"
	diag "stderr with the real extension: $(tr '\n' ' ' <"$T/stderr")"
else
	diag "real extension not staged or not loadable; skipped ($(cat "$T/ext.err" 2>/dev/null))"
fi

# ---- client mode: the model runs in psql (16-22) ----
MODEL=$ROOT/models/sqlpilot_default.model
CLI=$BUILD/sqlpilot
# the staged install finds the extension's default model by itself
if [ -n "$BASEENV" ]; then
	CLIENTENV="$BASEENV SQLPILOT_MODEL=$MODEL"
else
	CLIENTENV=""
fi
$PSQL -d postgres -c "CREATE DATABASE clientdb" >/dev/null
$PSQL -d clientdb >/dev/null <<'SQL'
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email varchar(100) UNIQUE);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers (id),
	total numeric(10,2) CHECK (total >= 0), created_at timestamptz DEFAULT now());
CREATE TABLE payroll (id int PRIMARY KEY, salary numeric(12,2));
SQL
ok $? "a database without the extension (clientdb)"
[ -z "$($PSQL -d clientdb -Atc "SELECT 1 FROM pg_extension WHERE extname = 'sqlpilot'")" ]
ok $? "clientdb has no sqlpilot extension"
# expect_clause PREFIX: the best completion's whole clause, as the CLI (same
# client code, same model, same 16 tokens and 5 beams) gives it.
expect_clause() {
	SQLPILOT_MODEL=$MODEL "$CLI" complete --dsn "host=$T user=postgres dbname=clientdb" \
		--n 5 --max-tokens 16 --json "$1" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["completions"][0]["text"].strip().replace("\n"," ").replace("\t"," "))' 2>/dev/null
}
# expect_alt_words PREFIX: the next word (a name or keyword of 2 or more
# characters) of each completion but the best (the short alternatives: other
# next words than the best's), as the CLI gives them, one a line.
expect_alt_words() {
	SQLPILOT_MODEL=$MODEL "$CLI" complete --dsn "host=$T user=postgres dbname=clientdb" \
		--n 5 --max-tokens 16 --json "$1" 2>/dev/null |
		python3 -c 'import json,re,sys
for c in json.load(sys.stdin)["completions"][1:]:
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_$]+)", c["text"])
    if m: print(m.group(1))' 2>/dev/null
}
# A word only the model offers: after these prefixes, one of the short
# alternatives' next words that plain psql does not list (TAB TAB) and the
# prefix does not hold; ALT_PREFIX and ALT get the first such.
ALT_PREFIXES=("SELECT name FROM customers WHERE id " "SELECT * FROM orders WHERE total "
	"SELECT name FROM customers WHERE ")
ALT_PREFIX=""
ALT=""
start_psql clientdb "$PGBIN/psql"
for p in "${ALT_PREFIXES[@]}"; do
	mark
	typed "$p"
	keys Tab Tab
	typed "~END"
	wait_for "~END" || diag "plain psql: no ~END after: $p"
	own=" $(after_mark | tr -s ' \t\n' '   ') $p "
	for w in $(expect_alt_words "$p"); do
		if [[ $own != *" $w "* ]]; then
			ALT_PREFIX=$p
			ALT=$w
			break 2
		fi
	done
done
keys C-c
diag "a word only the model offers: [$ALT] after [$ALT_PREFIX]"
# wait_fixed TEXT: polls the screen (below the marker) for a fixed string for up to 20 s.
wait_fixed() {
	for _ in $(seq 200); do
		after_mark | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
reads() { grep -c "SET LOCAL statement_timeout" "$T/server.log"; }
HOOKENV=$CLIENTENV

# 16. TAB against a database without the extension offers the model's candidates
start_psql clientdb
clause=$(expect_clause "SELECT name FROM customers WHERE ")
diag "expected clause: [$clause]"
mark
typed "SELECT name FROM customers WHERE "
keys Tab Tab
[ -n "$clause" ] && wait_fixed "$clause"
ok $? "TAB offers the model's best clause without the extension ($clause)" ||
	{ diag "screen:"; after_mark | sed 's/^/#   /'; diag "stderr: $(cat "$T/stderr")"; }
after_mark | grep -Eq "(^| )email( |$)"
ok $? "psql's own candidates are listed too"
# the short clause of the best completion: up to its first literal (candidates.c stops there)
short=$(printf '%s' "$clause" | python3 -c 'import re,sys; m=re.match(r"^(.*?\S)\s*(\x27|\d)", sys.stdin.read()); print(m.group(1) if m else "")')
if [ -n "$short" ]; then
	wait_fixed "$short"
	after_mark | grep -Eq -- "(^|  )$(printf '%s' "$short" | sed 's/[][\.*^$]/\\&/g')(  |$)"
	ok $? "TAB offers the best completion's next clause on its own ($short)" ||
		{ diag "screen:"; after_mark | sed 's/^/#   /'; }
else
	diag "the best completion has no literal to stop its clause at: [$clause]"
fi
mark
typed "$ALT_PREFIX"
keys Tab Tab
[ -n "$ALT" ] && wait_fixed "$ALT" && after_mark | grep -Eq -- "(^|  )$ALT(  |$)"
ok $? "TAB offers another completion's next word, one plain psql does not list ($ALT after '$ALT_PREFIX')" ||
	{ diag "screen:"; after_mark | sed 's/^/#   /'; }
[ "$(reads)" -ge 1 ]
ok $? "the schema was read over psql's connection (the log shows the catalog query)"
keys C-c

# 17. nothing of the typed text reaches the server (log_statement = all)
mark
before=$(reads)
typed "CREATE TABLE t17 (id int);"
keys Enter
wait_for "^CREATE TABLE"
mark
at_prompt=$(reads)
[ "$at_prompt" -gt "$before" ]
ok $? "after DDL the schema is read again at psql's prompt, before any TAB"
typed "SELECT email FROM customers WHERE name = 'zzTypedSecret' AND id > zzTypedNumber "
keys Tab
typed "~END"
wait_for "~END"
keys C-c
flush_log
[ "$(reads)" -eq "$at_prompt" ]
ok $? "the TAB itself sent no catalog query (the schema was ready)"
! grep -q "zzTyped" "$T/server.log"
ok $? "nothing typed before TAB appears in the server log"

# 18. TAB right after BEGIN leaves the transaction as it was: SET TRANSACTION
# still works (a keyword, so psql's own completion sends nothing either)
mark
typed "CREATE TABLE t18 (id int);"
keys Enter
wait_for "^CREATE TABLE"
mark
typed "BEGIN;"
keys Enter
wait_for "=\\*# $"
lines=$(wc -l <"$T/server.log")
typed "SEL"
keys Tab
typed "~END"
wait_for "~END"
ok $? "TAB after BEGIN completes"
keys C-c
[ "$(wc -l <"$T/server.log")" -eq "$lines" ]
ok $? "TAB after BEGIN sends nothing (the schema read waits for an idle session)"
mark
typed "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;"
keys Enter
expect "^SET$" "SET TRANSACTION ISOLATION LEVEL after BEGIN and TAB works"
typed "SHOW transaction_isolation;"
keys Enter
expect "^ serializable" "the transaction is serializable"
! after_mark | grep -q "ERROR"
ok $? "no error in that transaction"
typed "COMMIT;"
keys Enter
wait_for "^COMMIT"

# 19. TAB inside an aborted transaction sends nothing and changes nothing
mark
typed "BEGIN;"
keys Enter
typed "SELECT 1/0;"
keys Enter
wait_for "=!# $"
lines=$(wc -l <"$T/server.log")
typed "SEL"
keys Tab
typed "~END"
wait_for "~END"
sleep 0.5
[ "$(wc -l <"$T/server.log")" -eq "$lines" ]
ok $? "TAB in an aborted transaction sends nothing"
keys C-c
mark
typed "SELECT 'still' || 1 AS x;"
keys Enter
for _ in $(seq 100); do
	grep -q "current transaction is aborted" "$T/stderr" && break
	sleep 0.1
done
grep -q "current transaction is aborted" "$T/stderr" && ! after_mark | grep -q "still1"
ok $? "the transaction is still aborted after TAB"
typed "ROLLBACK;"
keys Enter
wait_for "^ROLLBACK"

# 20. a table created in this psql is in the schema at the next TAB
mark
before=$(reads)
typed "CREATE TABLE zebra_sightings (id int PRIMARY KEY, zoo text, seen_at timestamptz);"
keys Enter
wait_for "^CREATE TABLE"
clause=$(expect_clause "SELECT zoo FROM zebra_sightings WHERE ")
diag "expected clause: [$clause]"
mark
typed "SELECT zoo FROM zebra_sightings WHERE "
keys Tab Tab
[ -n "$clause" ] && wait_fixed "$clause"
ok $? "the new table's completion is offered on the next TAB ($clause)" ||
	{ diag "screen:"; after_mark | sed 's/^/#   /'; }
[ "$(reads)" -gt "$before" ]
ok $? "the DDL made the hook read the schema again"
keys C-c

# 21. a server that stops answering never holds TAB past the budget (the
# prefixes are ones psql's own completion sends no query for)
mark
typed "SELECT pg_backend_pid() AS bpid;"
keys Enter
wait_for "^ *[0-9]+$"
BPID=$(after_mark | grep -Eo '^ *[0-9]+$' | tr -d ' ' | head -1)
mark
typed "CREATE TABLE t21 (id int);"
keys Enter
wait_for "^CREATE TABLE"
mark
typed "SELECT zzstop"
STOPPED=$BPID
kill -STOP "$BPID"
timed_tab "client mode, backend stopped while the schema is read"
STOPPED=""
kill -CONT "$BPID"
keys C-c
typed "SELECT 'alive' || 3 AS state;"
keys Enter
expect "^ alive3" "after SIGCONT the session runs a query with the right result"
# a catalog locked by another session: the read's statement timeout (or the hook's cancel) ends it
mark
typed "CREATE TABLE t21b (id int);"
keys Enter
wait_for "^CREATE TABLE"
"$PGBIN/psql" -X -q -h "$T" -U postgres -d clientdb \
	-c "BEGIN; LOCK TABLE pg_catalog.pg_attrdef IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT" >/dev/null 2>&1 &
LOCKER=$!
sleep 0.5
mark
typed "SELECT zzlock"
timed_tab "client mode, catalog locked by another session"
wait $LOCKER
keys C-c
typed "SELECT 'alive' || 4 AS state;"
keys Enter
expect "^ alive4" "the session is usable after the locked catalog"
grep -q "canceling statement due to \(statement timeout\|user request\)" "$T/server.log"
ok $? "the catalog read was ended by its statement timeout or the hook's cancel"

# 22. a missing or bad model file: psql's own completion, and one message
head -c 4096 /dev/urandom >"$T/bad.model"
for bad in "$T/missing.model" "$T/bad.model"; do
	HOOKENV="$BASEENV SQLPILOT_MODEL=$bad"
	start_psql clientdb
	mark
	typed "SELECT * FROM custo"
	keys Tab
	expect "customers" "$(basename "$bad"): psql's own completion still answers"
	keys C-c
	mark
	typed "SELECT * FROM ord"
	keys Tab
	expect "orders" "$(basename "$bad"): psql's own completion answers again"
	keys C-c
	[ "$(grep -c "model is not used" "$T/stderr")" -eq 1 ]
	ok $? "$(basename "$bad"): the model problem is said once on stderr ($(tr '\n' ' ' <"$T/stderr"))"
done
# \set SQLPILOT_MODEL switches the file (here to a missing one, said once)
HOOKENV=$CLIENTENV
start_psql clientdb
mark
typed "\\set SQLPILOT_MODEL $T/set-missing.model"
keys Enter
typed "SELECT * FROM custo"
keys Tab
expect "customers" "after \\set SQLPILOT_MODEL psql's completion answers"
grep -q "set-missing.model" "$T/stderr"
ok $? "\\set SQLPILOT_MODEL is followed"
# \set SQLPILOT_MODE server asks the extension instead (none in clientdb: said once)
mark
typed "\\set SQLPILOT_MODE server"
keys Enter
typed "SELECT * FROM custo"
keys Tab
expect "customers" "after \\set SQLPILOT_MODE server psql's completion answers"
for _ in $(seq 50); do
	grep -q "not installed" "$T/stderr" && break
	sleep 0.1
done
grep -q "extension is not installed in database \"clientdb\"" "$T/stderr"
ok $? "\\set SQLPILOT_MODE server switches to the extension"

echo "1..$n"
[ "$failed" -eq 0 ]
