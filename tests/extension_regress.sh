#!/bin/bash
# The extension's pg_regress suites (sql/*.sql against expected/*.out) on a
# temporary instance, reported as TAP.  Uses the staged install of
# `make check` ($SQLPILOT_BUILD/install, found through extension_destdir) and
# makes its random test model with $SQLPILOT_BUILD/sqlpilot init.
# pg_regress runs as the postgres user when started as root (initdb refuses root).
set -u
ROOT=${SQLPILOT_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${SQLPILOT_BUILD:-$ROOT/build}
PGBIN=$(pg_config --bindir)
PG_REGRESS=$(dirname "$(pg_config --pgxs)")/../test/regress/pg_regress
INSTALL=$BUILD/install

n=0
# Prints one TAP line; returns the check's status.
check() {
	n=$((n + 1))
	if [[ $1 -eq 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
	return "$1"
}

if [[ ! -f $INSTALL$(pg_config --pkglibdir)/sqlpilot.so || ! -x $BUILD/sqlpilot ]]; then
	check 1 "staged install in $INSTALL and $BUILD/sqlpilot (run make check)"
	echo "1..$n"
	exit 1
fi

T=$(mktemp -d /tmp/sqlpilot-ext-regress.XXXXXX)
# Stops the installcheck server if it runs, then removes the scratch directory.
cleanup() {
	[[ -f $T/ic-data/postmaster.pid ]] && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$T/ic-data" -m immediate stop >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
chmod 755 "$T"
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
	as_pg=(runuser -u postgres --)
	chown postgres "$T"
fi

# A tiny corpus so the test model has some BPE merges.
cat >"$T/corpus.sql" <<'EOF'
CREATE TABLE users (id INT8 NOT NULL, email VARCHAR(200) NOT NULL, created_at TIMESTAMPTZ NULL, CONSTRAINT users_pkey PRIMARY KEY (id ASC));
SELECT * FROM users WHERE email = 'a@example.com';
SELECT id, email FROM users ORDER BY created_at DESC LIMIT 10;
INSERT INTO orders (user_id, total) VALUES (1, 10.50);
SELECT o.id, u.email FROM orders o JOIN users u ON u.id = o.user_id WHERE o.total > 100;
UPDATE users SET email = 'b@example.com' WHERE id = 7;
DELETE FROM orders WHERE created_at < now() - interval '30 days';
SELECT count(*) FROM orders GROUP BY user_id HAVING count(*) > 3;
EOF
"$BUILD/sqlpilot" init --preset 260K --seq-len 1024 --seed 1 --corpus "$T/corpus.sql" \
	--out "$T/test.model" >"$T/init.log" 2>&1
check $? "test model (260K, context 1024, seed 1)" || { sed 's/^/# /' "$T/init.log"; echo "1..$n"; exit 1; }
chmod 644 "$T/test.model"

cat >"$T/test.conf" <<EOF
extension_destdir = '$INSTALL'
sqlpilot.model_path = '$T/test.model'
EOF

tests=()
for f in "$ROOT"/sql/*.sql; do
	tests+=("$(basename "$f" .sql)")
done
"${as_pg[@]}" "$PG_REGRESS" --temp-instance="$T/instance" --temp-config="$T/test.conf" \
	--inputdir="$ROOT" --outputdir="$T" --bindir="$PGBIN" --load-extension=sqlpilot \
	--encoding=UTF8 --no-locale "${tests[@]}" >"$T/pg_regress.log" 2>&1
rc=$?

# pg_regress (15) prints "test NAME ... ok|FAILED  N ms"; one TAP line per test.
seen=0
while read -r name status; do
	seen=1
	[[ $status == ok ]]
	check $? "pg_regress $name"
done < <(sed -n 's/^\(test \)\? *\([a-z0-9_]*\) *\.\.\. *\([a-zA-Z]*\).*/\2 \3/p' "$T/pg_regress.log")
[[ $seen -eq 1 && $rc -eq 0 ]]
check $? "pg_regress exit status $rc" || {
	sed 's/^/# /' "$T/pg_regress.log"
	[[ -f $T/regression.diffs ]] && head -200 "$T/regression.diffs" | sed 's/^/# /'
}

# `make installcheck` (PGXS) the way a user runs it after `make install`: a
# running server (here a temporary one on a socket in $T, with the staged
# install through extension_destdir and the staged default model, else the
# test model; fsync off as pg_regress's own temporary instances), the
# top-level Makefile, pg_regress in installcheck mode.
model=$INSTALL$(pg_config --sharedir)/extension/sqlpilot_default.model
[[ -f $model ]] || model=$T/test.model
"${as_pg[@]}" "$PGBIN/initdb" -D "$T/ic-data" --auth=trust --no-locale -E UTF8 -U postgres \
	>"$T/ic-initdb.log" 2>&1
cat >>"$T/ic-data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$T'
extension_destdir = '$INSTALL'
sqlpilot.model_path = '$model'
fsync = off
EOF
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$T/ic-data" -l "$T/ic-server.log" -w start >/dev/null 2>&1
check $? "temporary server for make installcheck" || sed 's/^/# /' "$T/ic-initdb.log" "$T/ic-server.log"
mkdir -p "$T/ic"
PGHOST=$T PGPORT=5432 PGUSER=postgres make -C "$ROOT" --no-print-directory installcheck \
	EXTRA_REGRESS_OPTS="--outputdir=$T/ic" >"$T/ic.log" 2>&1
rc=$?
ran=$(grep -c '\.\.\. ' "$T/ic.log")
passed=$(grep -c '\.\.\. *ok' "$T/ic.log")
[[ $rc -eq 0 && $ran -gt 0 && $passed -eq $ran ]]
check $? "make installcheck: $passed of $ran suites pass against a running server ($(basename "$model"))" || {
	sed 's/^/# /' "$T/ic.log"
	[[ -f $T/ic/regression.diffs ]] && head -100 "$T/ic/regression.diffs" | sed 's/^/# /'
}
echo "1..$n"
