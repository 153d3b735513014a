"""synth_jsonl.py OUT_DIR [N_SCHEMAS] [PER_SCHEMA] -- writes a small deterministic
data set in the datagen raw format (one JSON object per line: schema_id, kind,
schema, statement, text) for the trainer's tests, before real data exists."""
import json
import os
import random
import sys

HEAD, MID = "### TABLEDATA\n\n", "\n\n### STATEMENT\n\n"
TABLES = ["users", "orders", "items", "payments", "events", "accounts", "posts", "tags"]
COLS = ["id", "name", "email", "created_at", "amount", "status", "user_id", "title", "price"]


def main():
    out = sys.argv[1]
    n_schemas = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    per = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    rng = random.Random(1234)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "shard-00000.jsonl"), "w") as f:
        for s in range(n_schemas):
            tables = rng.sample(TABLES, 2)
            cols = {t: ["id"] + rng.sample(COLS[1:], 3) for t in tables}
            schema = "\n".join("CREATE TABLE %s (%s);" % (t, ", ".join(
                c + (" int" if c.endswith("id") or c in ("amount", "price") else " text")
                for c in cols[t])) for t in tables)
            for _ in range(per):
                t = rng.choice(tables)
                c = rng.sample(cols[t], 2)
                kind = rng.choice(["select", "delete", "update"])
                if kind == "select":
                    stmt = "SELECT %s, %s FROM %s WHERE id = %d;" % (c[0], c[1], t, rng.randint(1, 99))
                elif kind == "delete":
                    stmt = "DELETE FROM %s WHERE %s = %d;" % (t, c[0], rng.randint(1, 99))
                else:
                    stmt = "UPDATE %s SET %s = %d WHERE id = %d;" % (t, c[1], rng.randint(1, 9),
                                                                     rng.randint(1, 99))
                f.write(json.dumps({"schema_id": "s%05d" % s, "kind": kind, "schema": schema,
                                    "statement": stmt, "text": HEAD + schema + MID + stmt}) + "\n")


if __name__ == "__main__":
    main()
