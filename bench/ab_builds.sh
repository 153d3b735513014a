# bench/ab_builds.sh — sourced by the before/after benchmarks that link one
# bench object of this tree against two cores (bench_candidates_ab.sh,
# bench_candidates_same.sh, bench_hook_ab.sh):
#   ab_link OBJECT OTHER_BUILD   builds $T/before (OTHER_BUILD/libsqlpilot.a)
#                                and $T/after (this tree's), or says what is missing
#   ab_hook_fixture              writes bench_hook.sh's schema and corpus to
#                                $T/schema.sql and $T/corpus.sql
# Needs ROOT, BUILD and T set by the caller.

ab_link() {
	local obj=$1 other=$2 libs
	[[ -f $obj && -f $BUILD/libsqlpilot.a && -f $other/libsqlpilot.a ]] || {
		echo "needs $obj, $BUILD/libsqlpilot.a (make tools) and $other/libsqlpilot.a" >&2
		exit 1
	}
	libs=$(make -C "$ROOT" -s --no-print-directory --eval 'print-cli-libs: ; @echo $(CLI_LIBS)' print-cli-libs)
	# shellcheck disable=SC2086
	cc -o "$T/before" "$obj" "$other/libsqlpilot.a" $libs
	# shellcheck disable=SC2086
	cc -o "$T/after" "$obj" "$BUILD/libsqlpilot.a" $libs
}

ab_hook_fixture() {
	sed -n '/^cat >"$T\/schema.sql" <<.SQL.$/,/^SQL$/p' "$ROOT/bench/bench_hook.sh" | sed '1d;$d' >"$T/schema.sql"
	sed -n '/^cat >"$T\/corpus.sql" <<.SQL.$/,/^SQL$/p' "$ROOT/bench/bench_hook.sh" | sed '1d;$d' >"$T/corpus.sql"
}
