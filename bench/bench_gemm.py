#!/usr/bin/python3
"""bench_gemm.py -- GFLOP/s of core/gemm.c on the shapes of training and
prefill, beside OpenBLAS, written to bench/results/gemm.md.

Runs build/bench/bench_gemm twice, each its own process:
  1. OPENBLAS_CORETYPE=Haswell (this environment's setting): paths avx512,
     avx2, scalar and openblas interleaved shape by shape;
  2. OPENBLAS_CORETYPE=SkylakeX (OpenBLAS's AVX-512 kernels): avx512 and
     openblas interleaved again, so each ratio compares numbers of one run.
GFLOP/s are per second of the thread's CPU time, best of three rounds.

usage: bench/bench_gemm.py [--build DIR] [--seconds S] [--out FILE]
"""
import argparse
import datetime
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEAK = 212.0


def run(binary, paths, coretype, seconds):
    """One bench_gemm process; returns {(shape fields): {path: gflops}} in order."""
    env = dict(os.environ, OPENBLAS_CORETYPE=coretype)
    out = subprocess.run([binary, paths, str(seconds)], env=env, check=True,
                         capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        name, m, n, k, op, dtype, path, g = line.split("\t")
        rows.setdefault((name, m, n, k, op, dtype), {})[path] = float(g)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=float, default=0.15)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "gemm.md"))
    a = ap.parse_args()
    binary = os.path.join(a.build, "bench", "bench_gemm")
    load0 = os.getloadavg()[0]
    has = run(binary, "avx512,avx2,scalar,openblas", "Haswell", a.seconds)
    skx = run(binary, "avx512,openblas", "SkylakeX", a.seconds)
    load1 = os.getloadavg()[0]
    lines = [
        "# Matrix products: core/gemm.c vs OpenBLAS 0.3.21",
        "",
        "Command: `bench/bench_gemm.py` (%s UTC); one thread; GFLOP/s per second of thread CPU "
        "time, best of 3 rounds run interleaved shape by shape.  One core's fp32 FMA peak is "
        "about %.0f GFLOP/s.  Run 1 (OPENBLAS_CORETYPE=Haswell, the environment's setting, "
        "OpenBLAS's AVX2 kernels): our avx512, avx2 and scalar paths and OpenBLAS.  Run 2, its "
        "own process (OPENBLAS_CORETYPE=SkylakeX, OpenBLAS's AVX-512 kernels): our avx512 path "
        "and OpenBLAS again.  Ratios compare numbers of the same run.  Op: N/T = op(A), op(B) "
        "not transposed / transposed (a linear layer's forward is NT: x @ W^T).  f16: B held "
        "as halves (our kernel widens them while packing; OpenBLAS gets the whole matrix "
        "widened first, as the prefill did before).  Load average (1 min) of the box: %.2f "
        "before, %.2f after (2 vCPUs on one core, shared with other work)."
        % (datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), PEAK, load0, load1),
        "",
        "| shape | M | N | K | op | B | avx512 | avx2 | scalar | OpenBLAS Haswell | ratio | "
        "avx512 (run 2) | OpenBLAS SkylakeX | ratio |",
        "|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, h in has.items():
        s = skx.get(key, {})
        lines.append("| %s | %s | %s | %s | %s | %s | %.1f | %.1f | %.1f | %.1f | %.2fx | %.1f | %.1f | %.2fx |"
                     % (key + (h["avx512"], h["avx2"], h["scalar"], h["openblas"],
                               h["avx512"] / h["openblas"], s.get("avx512", 0),
                               s.get("openblas", 0),
                               s.get("avx512", 0) / max(s.get("openblas", 0), 1e-9))))
    text = "\n".join(lines) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
