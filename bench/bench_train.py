#!/usr/bin/python3
"""bench_train.py -- training speed of the C trainer against PyTorch (Debian's,
/usr/bin/python3) on the same model, the same initial weights and the same batch.

For each preset: build/<...>/bench/bench_train trains STEPS optimizer steps
(forward, backward, clip, AdamW) and writes its case file; then PyTorch trains
the same steps on that case twice: "untuned" (the whole batch at once, default
allocator) and "tuned" (MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ set and
the batch split into micro-batches, see shared NOTES.md).  The PyTorch model
is written like HF Transformers trains: one parameter tensor per weight,
full-vocabulary logits on every row,
cross-entropy with the masked rows ignored, a dense causal mask that also
separates packed examples.  Prints a table (tokens/s, ratio, GFLOP/s against
core/gemm.c's GFLOP/s measured in the C process, the C trainer again with
SQLPILOT_GEMM=openblas, peak RSS, first/last loss) and writes it to
bench/results/train.md.

usage: bench/bench_train.py [--build DIR] [--quick] [--threads N]
Environment (OPENBLAS_CORETYPE, ...) is passed through unchanged to both sides.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "torch"))

# preset, T, B, C micro-batch, PyTorch tuned micro-batch; C runs C_STEPS steps
# (all but the first timed), PyTorch TORCH_STEPS (it is 10-50x slower)
RUNS = [
    ("260K", 512, 16, 4, 2),
    ("15M", 256, 32, 8, 8),
    ("42M", 512, 8, 2, 2),
]
C_STEPS = 5
TORCH_STEPS = 2
TUNED_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "4294967296"}


def torch_worker(case, steps, micro, threads):
    """Runs in a child process: trains the case in PyTorch, prints a RESULT line."""
    import numpy as np
    import torch
    import llama_ref

    torch.set_num_threads(threads)
    c, params, batch, _, _ = llama_ref.read_case(case)
    B, T = batch[0].shape
    views = llama_ref.split_params(c, torch.from_numpy(params.copy()))
    p = {name: torch.nn.Parameter(t.clone()) for name, t in views.items()}
    plist = list(p.values())
    inputs, targets, _, pos, kstart = (torch.from_numpy(a.astype(np.int64)) for a in batch)
    weights = torch.from_numpy(batch[2].copy())
    labels = torch.where(weights > 0, targets, torch.full_like(targets, -100))
    opt = torch.optim.AdamW(plist, lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)
    n_lab = (labels >= 0).sum().item()

    def hf_loss(sl):
        # HF-style: logits for every row, ignore_index on the rest
        logits_rows = llama_ref.hidden_states(c, p, inputs[sl], pos[sl], kstart[sl])
        wcls = p["token_embedding"] if c.tied else p["wcls"]
        logits = logits_rows.reshape(-1, c.dim) @ wcls.T
        return torch.nn.functional.cross_entropy(logits, labels[sl].reshape(-1),
                                                 ignore_index=-100, reduction="sum") / n_lab

    losses = []
    t0 = None
    for step in range(steps):
        if step == 1:
            t0 = time.time()
        opt.zero_grad(set_to_none=False)
        total = 0.0
        for s in range(0, B, micro):
            loss = hf_loss(slice(s, s + micro))
            loss.backward()
            total += loss.item()
        torch.nn.utils.clip_grad_norm_(plist, 1.0)
        opt.step()
        losses.append(total)
    dt = time.time() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("RESULT impl=torch tok_s=%.1f maxrss_mb=%.1f loss_first=%.6f loss_second=%.6f"
          % (B * T * (steps - 1) / dt, rss, losses[0], losses[1]))


def parse(line):
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", line)}


def run(cmd, env=None):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [l for l in out.stdout.splitlines() if l.startswith("RESULT")]
    if out.returncode != 0 or not lines:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit("failed: %s" % " ".join(cmd))
    return parse(lines[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("SQLPILOT_BUILD", os.path.join(ROOT, "build")))
    ap.add_argument("--quick", action="store_true", help="260K only")
    ap.add_argument("--threads", type=int, default=2, help="PyTorch threads")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        torch_worker(a.worker[0], int(a.worker[1]), int(a.worker[2]), a.threads)
        return
    exe = os.path.join(a.build, "bench", "bench_train")
    load0 = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for preset, T, B, micro, tmicro in RUNS[:1] if a.quick else RUNS:
            case = os.path.join(tmp, "case.bin")
            cres = run([exe, preset, str(T), str(B), str(micro), str(C_STEPS), case])
            cblas = run([exe, preset, str(T), str(B), str(micro), str(C_STEPS)],
                        env=dict(os.environ, SQLPILOT_GEMM="openblas"))
            me = [sys.executable, os.path.abspath(__file__), "--threads", str(a.threads),
                  "--worker", case, str(TORCH_STEPS)]
            untuned = run(me + [str(B)])
            tuned = run(me + [str(tmicro)], env=dict(os.environ, **TUNED_ENV))
            rows.append((preset, T, B, micro, tmicro, cres, cblas, untuned, tuned))
            print("%s done: C %s tok/s, PyTorch %s / %s tok/s" % (preset, cres["tok_s"],
                                                                untuned["tok_s"], tuned["tok_s"]),
                  flush=True)
    lines = [
        "# Training speed: C trainer vs PyTorch %s (same model, weights, batch)" % torch_version(),
        "",
        "Command: `bench/bench_train.py` (%s); OPENBLAS_CORETYPE=%s; PyTorch threads: %d; "
        "C: one thread, matrix products on core/gemm.c (path %s), and again with "
        "SQLPILOT_GEMM=openblas (serial OpenBLAS) for comparison; C %d steps, PyTorch %d steps, the first untimed; "
        "load average at the start %.1f." % (time.strftime("%Y-%m-%d %H:%M"),
                                             os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
                                             a.threads, rows[0][5]["gemm"], C_STEPS,
                                             TORCH_STEPS, load0),
        "",
        "| preset | T | batch | C tok/s | C tok/s, OpenBLAS gemm | PyTorch tok/s (untuned) | ratio "
        "| PyTorch tok/s (tuned) | ratio | C GFLOP/s | C GFLOP/s (CPU time) | C GFLOP/s (CPU), "
        "OpenBLAS gemm | gemm GFLOP/s | C peak RSS MB | PyTorch peak RSS MB (untuned/tuned) "
        "| loss step 1/2 C | loss step 1/2 PyTorch |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for preset, T, B, micro, tmicro, c, cb, u, t in rows:
        cs, us, ts = float(c["tok_s"]), float(u["tok_s"]), float(t["tok_s"])
        lines.append("| %s | %d | %d (C micro %d, tuned micro %d) | %.0f | %.0f | %.0f | %.2fx | %.0f "
                     "| %.2fx | %s | %s | %s | %s | %s | %s / %s | %.4f / %.4f | %.4f / %.4f |"
                     % (preset, T, B, micro, tmicro, cs, float(cb["tok_s"]), us, cs / us, ts,
                        cs / ts, c["gflops"], c["gflops_cpu"], cb["gflops_cpu"],
                        c["sgemm_gflops"], c["maxrss_mb"], u["maxrss_mb"], t["maxrss_mb"],
                        float(c["loss_first"]), float(c["loss_second"]), float(u["loss_first"]),
                        float(u["loss_second"])))
    lines += ["", "GFLOP/s counts useful work only (attention over visible keys, head on loss rows); "
              "C GFLOP/s (CPU time) divides by the process's CPU time instead of wall time (other "
              "processes time-slicing the two vCPUs do not count; a busy SMT sibling still slows "
              "it).  gemm GFLOP/s is sqlpilot_gemm on a (micro*T, C) x (C, hidden) product in the "
              "same process (wall time).  Losses must agree: both sides train the same model on the "
              "same batch.", ""]
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "train.md"), "w") as f:
        f.write(text)


def torch_version():
    import torch
    return torch.__version__


if __name__ == "__main__":
    main()
