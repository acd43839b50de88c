#!/usr/bin/env bash
# One-shot GPU check for dlrn-deep on a CUDA machine with PyTorch and no Rust
# toolchain. Build here first (dev profile, dependencies at opt-level 3):
#   cargo build -p dlrn-deep --features cuda --example verify_torch --bench resnet50
# and copy the two binaries (target/debug/examples/verify_torch and
# target/debug/deps/resnet50-*) to BIN (default .gpu/) as verify_torch, resnet50. Then, on the GPU machine:
#   bash crates/deep/scripts/gpu_check.sh [BIN] [OUTDIR]
# 1. torchvision reference (random resnet50, 8 images) → features of Burn
#    cuda and flex vs torchvision, within 1e-4 × max|f| (verify_torch);
# 2. throughput, images/s, Burn cuda (BatchNorm folded and not) and PyTorch
#    eager fp32 on the same GPU at batch 16 and 256 (host → device → host).
set -euo pipefail
BIN=${1:-.gpu}
OUTDIR=${2:-${OUT:-/tmp/gpu_check}}
mkdir -p "$OUTDIR" /tmp/ref
export PYTHONUNBUFFERED=1
for f in verify_torch resnet50; do
  [ -x "$BIN/$f" ] || { gunzip -kf "$BIN/$f.gz" && chmod +x "$BIN/$f"; }
done
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUTDIR/gpu.txt"
python3 crates/deep/scripts/make_full_reference.py /tmp/ref --batch 8 | tee "$OUTDIR/reference.json"
"$BIN/verify_torch" /tmp/ref --backend cuda --backend flex 2>&1 | tee "$OUTDIR/verify.jsonl"
"$BIN/resnet50" --backend cuda --batches 16,256 --secs 2 2>&1 | tee "$OUTDIR/bench_burn.jsonl"
python3 crates/deep/benches/bench_torch.py --device cuda --batches 16,256 --secs 2 2>&1 | tee "$OUTDIR/bench_torch.jsonl"
