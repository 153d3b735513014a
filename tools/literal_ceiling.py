#!/usr/bin/python3
"""How well can any model guess the literal values of held-out statements?

    tools/literal_ceiling.py IMPORT_DIR EVAL_FILE [LIMIT]

IMPORT_DIR is the output of `sqlpilot datagen import` (its training shards,
IMPORT_DIR/raw/shard-*.jsonl, one statement a line); EVAL_FILE is its held-out eval.jsonl (schemas
never trained on); LIMIT the first lines of EVAL_FILE to score (default 400,
as `sqlpilot eval --limit 400`).

A literal is paired with the column it is compared with or assigned to
(`col = 'x'`, `col IN (...)`, `col BETWEEN a AND b`, `SET col = 5`, the
positions of `INSERT INTO t (cols) VALUES (...)`).  The predictor answers each
held-out literal with the value the training statements most often pair with a
column of that name: the memorization a model of the corpus can do without
reasoning.  Literals that appear in the schema text are left out (the prompt
shows them).  Rest-of-statement EM cannot be higher than the share of literals
a model gets right, so this bounds what more training on this data can buy.
"""
import collections
import glob
import json
import os
import re
import sys

TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\d+(?:\.\d+)?|"""
                   r"""[A-Za-z_][A-Za-z0-9_$]*|<>|!=|<=|>=|::|\S""")
COMPARISONS = {"=", "<>", "!=", "<", ">", "<=", ">=", "like", "ilike"}


def is_literal(token):
    """A string or an unsigned number."""
    return token[0] == "'" or token[0].isdigit()


def column_name(token):
    """A column's name as the pairing table keys it."""
    return token.strip('"').lower()


def insert_pairs(tokens, lower):
    """(column, literal) for each single-literal value of INSERT ... (cols) VALUES (...)."""
    out = []
    if lower[:2] != ["insert", "into"] or "(" not in lower[:6]:
        return out
    open_at = lower.index("(")
    if ")" not in lower[open_at:]:
        return out
    close_at = lower.index(")", open_at)
    columns = [column_name(t) for t in tokens[open_at + 1:close_at] if t != ","]
    k = close_at + 1
    if k >= len(tokens) or lower[k] != "values":
        return out
    k += 1
    while k < len(tokens) and lower[k] == "(":
        values, current, depth, m = [], [], 0, k + 1
        while m < len(tokens):
            if lower[m] == "(":
                depth += 1
            elif lower[m] == ")":
                if depth == 0:
                    break
                depth -= 1
            if lower[m] == "," and depth == 0:
                values.append(current)
                current = []
            else:
                current.append(tokens[m])
            m += 1
        values.append(current)
        for column, value in zip(columns, values):
            if len(value) == 1 and is_literal(value[0]):
                out.append((column, value[0]))
        k = m + 1
        if k < len(tokens) and lower[k] == ",":
            k += 1
    return out


def literal_pairs(sql):
    """Every (column, literal) pair of one statement that this script recognizes."""
    tokens = TOKEN.findall(sql)
    lower = [t.lower() for t in tokens]
    out = []
    for i, token in enumerate(tokens):
        if not is_literal(token):
            continue
        j = i - 1
        if j >= 1 and lower[j] in COMPARISONS and not is_literal(tokens[j - 1]):
            out.append((column_name(tokens[j - 1]), token))
            continue
        if j >= 1 and lower[j] == "between":
            out.append((column_name(tokens[j - 1]), token))
            continue
        if j >= 3 and lower[j] == "and" and is_literal(tokens[j - 1]) and lower[j - 2] == "between":
            out.append((column_name(tokens[j - 3]), token))
            continue
        k = i - 1
        while k >= 0 and (lower[k] == "," or is_literal(tokens[k])):
            k -= 1
        if k >= 2 and lower[k] == "(" and lower[k - 1] == "in":
            out.append((column_name(tokens[k - 2]), token))
    return out + insert_pairs(tokens, lower)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    import_dir, eval_file = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) == 4 else 400
    shards = sorted(glob.glob(os.path.join(import_dir, "raw", "shard-*.jsonl")))
    if not shards:
        sys.exit(f"no training shards under {import_dir}")
    seen = collections.defaultdict(collections.Counter)
    for shard in shards:
        with open(shard, encoding="utf-8") as f:
            for line in f:
                for column, literal in literal_pairs(json.loads(line)["statement"]):
                    seen[column][literal] += 1
    ranked = {c: [v for v, _ in counts.most_common(5)] for c, counts in seen.items()}

    literals = in_training = top1 = top3 = top5 = 0
    statements = statements_right = 0
    by_kind = collections.Counter()
    by_kind_right = collections.Counter()
    with open(eval_file, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= limit:
                break
            example = json.loads(line)
            pairs = [(c, v) for c, v in literal_pairs(example["statement"]) if v not in example["schema"]]
            if not pairs:
                continue
            statements += 1
            all_right = True
            for column, literal in pairs:
                best = ranked.get(column, [])
                kind = "string" if literal[0] == "'" else "number"
                literals += 1
                by_kind[kind] += 1
                in_training += literal in seen.get(column, ())
                top3 += literal in best[:3]
                top5 += literal in best[:5]
                if best[:1] == [literal]:
                    top1 += 1
                    by_kind_right[kind] += 1
                else:
                    all_right = False
            statements_right += all_right
    if literals == 0:
        sys.exit("no literal found in the held-out statements")
    print(f"training: {len(shards)} shards, {len(seen)} column names with literals")
    print(f"held-out: first {limit} lines, {statements} statements with {literals} literals the schema does not show")
    print(f"| literal (column's training values) | share |\n|---|---:|")
    print(f"| seen with that column name in training | {in_training / literals:.3f} |")
    print(f"| the column's most frequent value (top 1) | {top1 / literals:.3f} |")
    for kind in sorted(by_kind):
        print(f"| — {kind}s ({by_kind[kind]}) | {by_kind_right[kind] / by_kind[kind]:.3f} |")
    print(f"| among its 3 / 5 most frequent values | {top3 / literals:.3f} / {top5 / literals:.3f} |")
    print(f"| statements with every literal = its column's top 1 | {statements_right / statements:.3f} |")


if __name__ == "__main__":
    main()
