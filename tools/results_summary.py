#!/usr/bin/python3
"""The README's short results table, read from the files `make bench` and
`make model` write (bench/results/*.md, models/sqlpilot_default.eval.json).

    tools/results_summary.py            (prints Markdown; tools/readme_results.sh splices it)

Each row names the command that produced the figure; the machine line comes
from bench/results/machine.md.  A figure whose file is missing prints "-".
"""
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
RESULTS = os.path.join(ROOT, "bench", "results")


def read(name):
    """The text of bench/results/<name>.md, or '' when it is missing."""
    try:
        with open(os.path.join(RESULTS, name + ".md"), encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def table_rows(text):
    """The rows of every Markdown table in text, as lists of stripped cells."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def find_row(rows, *keys):
    """The first row whose leading cells equal keys, or None."""
    for r in rows:
        if r[:len(keys)] == list(keys):
            return r
    return None


def num(s):
    """'1,234.5' -> 1234.5; None when s holds no number."""
    m = re.search(r"-?[\d,]*\.?\d+", s or "")
    return float(m.group(0).replace(",", "")) if m else None


def fmt(x, digits=0):
    return "-" if x is None else f"{x:,.{digits}f}"


def main():
    out = []
    machine = read("machine").splitlines()
    out.append("### Summary")
    out.append("")
    if len(machine) > 2:
        out.append("Last `make bench`: " + machine[2].strip() + ".  The full tables are in the files linked below.")
        out.append("")
    out.append("| what | figure | target | command |")
    out.append("|---|---|---|---|")

    dec = table_rows(read("decode"))
    for preset, target in (("15M", "≥ 2,000 tok/s"), ("260K", "≥ 20,000 tok/s")):
        f16 = find_row(dec, preset, "f16")
        f32 = find_row(dec, preset, "f32")
        if f16 and f32:
            out.append(f"| decode, {preset} preset, one thread | {fmt(num(f16[3]))} tok/s from an f16 file "
                       f"({fmt(num(f32[3]))} with fp32 weights; naive loop {fmt(num(f16[6]))}) | {target} "
                       "| `build/bench/bench_decode` |")

    tok = re.search(r"encode: ([\d.]+) MB/s", read("tokenizer"))
    out.append(f"| tokenizer encode, one thread | {tok.group(1) if tok else '-'} MB/s | ≥ 5 MB/s "
               "| `build/bench/bench_tokenizer` |")

    train = table_rows(read("train"))
    head = train[0] if train else []
    col = {name: i for i, name in reversed(list(enumerate(head)))}
    tuned = col.get("PyTorch tok/s (tuned)")
    useful = col.get("C GFLOP/s (CPU time)")
    for preset in ("260K", "15M", "42M"):
        r = find_row(train, preset)
        if r and tuned is not None and len(r) == len(head):
            flops = f"; {r[useful]} useful GFLOP/s of CPU time" if useful is not None else ""
            out.append(f"| training {preset}, C (one thread) vs PyTorch 1.13 tuned (2 threads) | "
                       f"{fmt(num(r[col['C tok/s']]))} vs {fmt(num(r[tuned]))} tok/s = {r[tuned + 1]}{flops} "
                       f"| {'≥ 60' if preset == '260K' else '≥ 150'} GFLOP/s, ≥ 2.5x | `bench/bench_train.py` |")

    ext = table_rows(read("extension"))
    for preset, cache, label, target in (
            ("15M", "on", "warm", "≤ 15 ms"),
            ("15M", "on", "cold: new session, schema prompt from a cache file", "≤ 80 ms"),
            ("15M", "off", "cold: new session, nothing cached (first call after DDL)", "≤ 80 ms"),
            ("260K", "on", "warm", "≤ 3 ms")):
        r = find_row(ext, preset, ext_tokens(ext, preset), "16", "no", cache)
        if not r:
            continue
        cell = r[6] if label == "warm" else r[5]
        p95 = cell.split("/")[1].split("(")[0].strip() if "/" in cell else "-"
        out.append(f"| `sqlpilot_complete()` {preset}, {label}, p95 (16 tokens, 386-token prompt) | "
                   f"{p95} ms | {target} | `bench/bench_extension.sh` |")

    dg = re.search(r"End to end[^:]*: ([\d,]+) validated statements/s", read("datagen"))
    out.append(f"| datagen end to end (3 workers, statements checked by PostgreSQL) | {dg.group(1) if dg else '-'} "
               "validated statements/s | ≥ 5,000 | `bench/bench_datagen.sh` |")

    # The corpus' held-out schemas (LLM-written, never trained on) first, then our generated split.
    for name, label in (("sqlpilot_default.import.eval.json", "the corpus' held-out schemas"),
                        ("sqlpilot_default.eval.json", "generated held-out schemas")):
        try:
            with open(os.path.join(ROOT, "models", name), encoding="utf-8") as f:
                ev = json.load(f)
            m, b = ev["metrics"]["model"], ev["metrics"]["baseline"]
            out.append(f"| default model on {label}: next word exact / keystrokes saved | "
                       f"{m['next_word_em']:.3f} / {m['keystrokes_saved']:.3f} (copy baseline "
                       f"{b['next_word_em']:.3f} / {b['keystrokes_saved']:.3f}) | | "
                       "`sqlpilot eval` ([models/MODEL.md](models/MODEL.md)) |")
        except (OSError, KeyError, ValueError):
            pass
    print("\n".join(out))
    return 0


def ext_tokens(rows, preset):
    """The prompt-tokens cell of the extension table's rows for preset."""
    for r in rows:
        if r and r[0] == preset:
            return r[1]
    return None


if __name__ == "__main__":
    sys.exit(main())
