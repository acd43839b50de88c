"""Overhead of the Python binding: the 544 handcrafted features of a cohort
through `dlrn.extract_handcrafted(out=…)` against `dlrn extract handcrafted
--out …` on the same cohort (both write the same CSV, checked byte for byte),
measured in one run (alternating, best of N each).

    python python/bench/overhead.py COHORT_DIR [--repeat 3] [--dlrn target/debug/dlrn]

Prints both times and the ratio; exits 1 when Python is more than 5 % slower.
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time

import dlrn

parser = argparse.ArgumentParser()
parser.add_argument("cohort")
parser.add_argument("--repeat", type=int, default=3)
parser.add_argument("--dlrn", default=os.environ.get("DLRN_BIN") or shutil.which("dlrn") or "target/debug/dlrn")
parser.add_argument("--limit", type=float, default=1.05)
args = parser.parse_args()

cli_times, py_times = [], []
with tempfile.TemporaryDirectory() as tmp:
    for i in range(args.repeat):
        out = os.path.join(tmp, f"hc{i}.csv")
        t0 = time.perf_counter()
        subprocess.run(
            [args.dlrn, "extract", "handcrafted", "--cohort", args.cohort, "--out", out],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        cli_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        py_out = os.path.join(tmp, f"py{i}.csv")
        table = dlrn.extract_handcrafted(args.cohort, out=py_out, progress=False)
        py_times.append(time.perf_counter() - t0)
        with open(out, "rb") as a, open(py_out, "rb") as b:
            assert a.read() == b.read(), "the Python table differs from the CLI's"

n = len(table)
cli, py = min(cli_times), min(py_times)
print(f"{n} cases: dlrn extract handcrafted {cli:.3f} s, dlrn.extract_handcrafted {py:.3f} s, "
      f"ratio {py / cli:.3f} (best of {args.repeat}; all: CLI {[round(t, 3) for t in cli_times]}, "
      f"Python {[round(t, 3) for t in py_times]})")
raise SystemExit(0 if py <= args.limit * cli else 1)
