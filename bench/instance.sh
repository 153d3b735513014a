# bench/instance.sh — sourced by the benchmarks that start their own PostgreSQL
# (`. "$ROOT/bench/instance.sh" NAME`): a temporary directory $T the postgres
# user may use, as_pg (runs a command as postgres when started as root, since
# initdb refuses root) and an exit trap that stops the server in $T/data and
# removes $T.
T=$(mktemp -d "/tmp/sqlpilot-bench-$1.XXXXXX")
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
	as_pg=(runuser -u postgres --)
	chown postgres "$T"
fi
chmod 755 "$T"
cleanup() {
	"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$T/data" stop -m immediate >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
