#!/bin/bash
# model_cli.sh — `sqlpilot init | info | convert | complete` end to end:
# deterministic random models, every dtype, corpus-trained tokenizer,
# refusal of corrupt files, completion output and errors.  Prints TAP.
cd "$(dirname "$0")/.."
BIN=${SQLPILOT_BUILD:-$PWD/build}/sqlpilot
T=$(mktemp -d /tmp/sqlpilot_model_cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
fails=0

# ok COND-EXIT-STATUS DESCRIPTION
ok() {
	n=$((n + 1))
	if [[ $1 -eq 0 ]]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}

if [[ ! -x $BIN ]]; then
	echo "not ok 1 - $BIN is not built"
	exit 1
fi

printf 'CREATE TABLE users (\n\tid INT8 NOT NULL,\n\tname VARCHAR(50),\n\tCONSTRAINT users_pkey PRIMARY KEY (id ASC)\n);\n' >"$T/schema.sql"

"$BIN" init --preset 260K --seed 1 --out "$T/a.bin" >"$T/out" 2>&1
ok $? "init 260K"
"$BIN" info --model "$T/a.bin" >"$T/info" 2>&1
grep -q 'parameters:  260032' "$T/info" && grep -q 'dtype:       f32' "$T/info" && grep -q 'n_kv_heads:  4' "$T/info"
ok $? "info shows the 260K config and its real parameter count"

"$BIN" init --preset 260K --seed 1 --out "$T/b.bin" >/dev/null 2>&1 && cmp -s "$T/a.bin" "$T/b.bin"
ok $? "same seed, same bytes"
"$BIN" init --preset 260K --seed 2 --out "$T/c.bin" >/dev/null 2>&1 && ! cmp -s "$T/a.bin" "$T/c.bin"
ok $? "another seed, other weights"

for d in f16 q8; do
	"$BIN" convert --model "$T/a.bin" --dtype $d --out "$T/a_$d.bin" >/dev/null 2>&1 &&
		"$BIN" info --model "$T/a_$d.bin" | grep -q "dtype:       $d"
	ok $? "convert to $d"
done
s32=$(stat -c %s "$T/a.bin")
s16=$(stat -c %s "$T/a_f16.bin")
s8=$(stat -c %s "$T/a_q8.bin")
[[ $((s16 * 2)) -le $((s32 + 1000)) && $((s8 * 3)) -le $s32 ]]
ok $? "f16 ($s16 bytes) and q8 ($s8 bytes) are compact next to f32 ($s32 bytes)"
"$BIN" init --preset 260K --seed 1 --dtype q8 --out "$T/d.bin" >/dev/null 2>&1 && cmp -s "$T/d.bin" "$T/a_q8.bin"
ok $? "init --dtype q8 equals convert to q8"

"$BIN" complete --model "$T/a.bin" --schema "$T/schema.sql" --prefix "SELECT name FROM us" \
	--max-tokens 8 >"$T/c1" 2>"$T/err"
r1=$?
"$BIN" complete --model "$T/a.bin" --schema "$T/schema.sql" --prefix "SELECT name FROM us" \
	--max-tokens 8 >"$T/c2" 2>/dev/null
[[ $r1 -eq 0 && -s $T/c1 ]] && cmp -s "$T/c1" "$T/c2"
ok $? "complete prints a deterministic completion"
"$BIN" complete --model "$T/a_f16.bin" --schema "$T/schema.sql" --prefix "SELECT" --max-tokens 8 >/dev/null 2>&1
ok $? "complete with an f16 model"
"$BIN" complete --model "$T/a.bin" --schema "$T/schema.sql" --prefix "SELECT" --n 3 --max-tokens 6 \
	--no-grounding >"$T/c3" 2>/dev/null
[[ $(grep -c $'\t' "$T/c3") -eq 3 ]]
ok $? "complete --n 3 --no-grounding prints three scored alternatives"
# Grounded, a random model's alternatives can fold into fewer distinct ones (literal-only differences count once).
"$BIN" complete --model "$T/a.bin" --schema "$T/schema.sql" --prefix "SELECT" --n 3 --max-tokens 6 >"$T/c3g" 2>/dev/null
n3=$(grep -c $'\t' "$T/c3g")
[[ $n3 -ge 1 && $n3 -le 3 ]] && [[ $(cut -f2- "$T/c3g" | sort -u | wc -l) -eq $n3 ]]
ok $? "complete --n 3 prints at most three distinct scored alternatives ($n3)"
"$BIN" complete --model "$T/a.bin" --schema "$T/schema.sql" --prefix "$(head -c 3000 /dev/zero | tr '\0' x)" \
	>/dev/null 2>"$T/err"
[[ $? -eq 1 ]] && grep -q 'does not fit' "$T/err"
ok $? "complete refuses a prompt longer than the context"

# A schema far bigger than the prompt budget: the tables the prefix names and their foreign-key
# neighbours are kept (core/table_choice.h, the extension's rule), not an error.
for i in $(seq 0 19); do
	ref=""
	[[ $i -eq 19 ]] && ref=" REFERENCES tab_4 (id)"
	printf 'CREATE TABLE tab_%d (\n\tid INT8 PRIMARY KEY%s,\n\tv_%d TEXT\n);\n\n' "$i" "$ref" "$i"
done >"$T/big.sql"
"$BIN" complete --model "$T/a.bin" --schema "$T/big.sql" --prefix "SELECT * FROM tab_19 t JOIN " \
	--show-schema >"$T/kept" 2>"$T/err"
r=$?
kept=$(grep -c '^CREATE TABLE' "$T/kept")
[[ $r -eq 0 && $kept -lt 20 ]] && grep -q '^CREATE TABLE tab_19 (' "$T/kept" &&
	grep -q '^CREATE TABLE tab_4 (' "$T/kept" && ! grep -q '^CREATE TABLE tab_18 (' "$T/kept"
ok $? "--show-schema over the budget keeps the named table and its foreign-key neighbour ($kept of 20 tables)"
"$BIN" complete --model "$T/a.bin" --schema "$T/big.sql" --prefix "SELECT * FROM tab_19 WHERE " \
	--max-tokens 8 >"$T/c4" 2>"$T/err"
ok $? "complete with a schema over the budget chooses tables instead of failing: $(head -c 200 "$T/err")"
"$BIN" complete --model "$T/a.bin" --schema "$T/big.sql" --prefix "SELECT" --max-tokens 600 >/dev/null 2>"$T/err"
[[ $? -eq 1 ]] && grep -q 'leaves no room for a prompt' "$T/err"
ok $? "complete refuses --max-tokens that leaves no prompt: $(cat "$T/err")"

cp "$T/a.bin" "$T/bad.bin"
printf '\x55' | dd of="$T/bad.bin" bs=1 seek=5000 conv=notrunc status=none
"$BIN" info --model "$T/bad.bin" >/dev/null 2>"$T/err"
[[ $? -eq 1 ]] && grep -q 'checksum mismatch' "$T/err"
ok $? "info refuses a corrupt file: $(cat "$T/err")"
head -c 100000 "$T/a.bin" >"$T/short.bin"
"$BIN" complete --model "$T/short.bin" --prefix x >/dev/null 2>"$T/err"
[[ $? -eq 1 ]] && grep -q 'truncated' "$T/err"
ok $? "complete refuses a truncated file: $(cat "$T/err")"

"$BIN" init --dim 30 --heads 4 --out "$T/e.bin" >/dev/null 2>"$T/err"
[[ $? -eq 2 && ! -e $T/e.bin ]] && grep -q 'not a multiple' "$T/err"
ok $? "init refuses an impossible config"

for i in $(seq 1 200); do
	echo "SELECT id, name FROM users WHERE id = $i;"
	echo "INSERT INTO users (id, name) VALUES ($i, 'user_$i');"
done >"$T/corpus.txt"
"$BIN" init --dim 32 --hidden 64 --layers 2 --heads 4 --kv-heads 2 --seq-len 256 --untied \
	--corpus "$T/corpus.txt" --seed 3 --out "$T/f.bin" >/dev/null 2>&1 &&
	"$BIN" info --model "$T/f.bin" >"$T/info"
r=$?
merges=$(awk '/^merges:/ {print $2}' "$T/info")
[[ $r -eq 0 && ${merges:-0} -gt 100 ]] && grep -q 'tied:        no' "$T/info"
ok $? "custom untied config with a tokenizer trained on a corpus ($merges merges)"
"$BIN" complete --model "$T/f.bin" --schema "$T/schema.sql" --prefix "SELECT id FROM users WHERE" \
	--max-tokens 16 >/dev/null 2>&1
ok $? "complete with the corpus-trained model"

# A standalone tokenizer file (format of core/tokenizer.c): "us" (259), "use" (260).
printf 'sqlpilot-tokenizer 1\nvocab_size 512\nmerges 2\n%d %d\n259 %d\n' \
	$((3 + 117)) $((3 + 115)) $((3 + 101)) >"$T/tok.txt"
"$BIN" init --preset 260K --tokenizer "$T/tok.txt" --out "$T/h.bin" >/dev/null 2>&1 &&
	"$BIN" info --model "$T/h.bin" | grep -q 'merges:      2'
ok $? "init --tokenizer FILE stores its merges"

"$BIN" init --preset 15M --seed 1 --dtype f16 --out "$T/g.bin" >/dev/null 2>&1 &&
	"$BIN" info --model "$T/g.bin" | grep -q 'parameters:  6123168'
ok $? "15M preset: 6123168 parameters"

echo "1..$n"
[[ $fails -eq 0 ]]
