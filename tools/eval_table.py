#!/usr/bin/python3
"""Renders the JSON of `sqlpilot eval --json` as a Markdown table (model vs copy baseline)."""
import json
import sys

path = sys.argv[1]
d = json.load(open(path))
m, b = d["metrics"]["model"], d["metrics"]["baseline"]
print("# Default model: `sqlpilot eval` on held-out schemas")
print()
print(f"Model `{d['model']}` (checksum {d['model_checksum']}), input `{d['input']}`, seed {d['seed']}: "
      f"{d['examples']} examples, {d['cuts']} cuts ({d['cuts_boundary']} at word boundaries, "
      f"{d['cuts_mid']} mid-word), {d['truncated']} truncated to fit the context. "
      f"Produced by `make model` (tools/pipeline.sh); file `{path}`.")
print()
print("| metric | model | copy baseline |")
print("|---|---:|---:|")
for k, v in m.items():
    bv = b.get(k)
    fmt = lambda x: "–" if x is None else (f"{x:.4f}" if isinstance(x, float) else str(x))
    print(f"| {k} | {fmt(v)} | {fmt(bv)} |")
