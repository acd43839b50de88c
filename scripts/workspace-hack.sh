#!/usr/bin/env bash
# Regenerates crates/workspace-hack (dlrn-workspace-hack) with cargo-hakari.
#
# Why: `cargo xtask paper` builds xtask, then xtask builds `dlrn`, then
# `cargo test --workspace` builds everything; each selection of packages
# unifies the features of shared dependencies differently, so without the
# hack crate the dependency tree (polars, Burn, syn, …) is compiled up to
# three times. Every workspace crate depends on dlrn-workspace-hack, which
# names each such dependency with the union of its features, so all
# selections resolve the same features and share one build.
#
# cargo-hakari unifies over every feature of the workspace crates, which would
# pull the optional GPU backends (cuda, wgpu, ndarray) into every build. So it
# runs on a copy of the workspace with those backend features removed, and
# only the generated crates/workspace-hack/Cargo.toml is copied back.
#
# Run after adding or changing a dependency:  bash scripts/workspace-hack.sh
# (needs `cargo install cargo-hakari`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$root" && git ls-files -co --exclude-standard -z) |
  (cd "$root" && xargs -0 cp --parents -t "$tmp" 2>/dev/null || true)
cp "$root/Cargo.lock" "$tmp/"

# Drop the optional backend features (and the root package's forwarding of them).
python3 - "$tmp" <<'PY'
import re, sys, pathlib
root = pathlib.Path(sys.argv[1])
for manifest in [root / "Cargo.toml", root / "crates/deep/Cargo.toml"]:
    text = manifest.read_text()
    text = re.sub(r'(?m)^(ndarray|wgpu|cuda) = \[.*\]\n', '', text)
    # The optional backend crates themselves: left in place, cargo would give
    # each an implicit feature of its own name, and hakari (which unifies over
    # every feature) would compile cubecl-cuda, cudarc, wgpu and naga into the
    # default CPU build.
    text = re.sub(r'(?m)^burn-(ndarray|wgpu|cuda) = \{.*optional = true.*\}\n', '', text)
    manifest.write_text(text)
PY

(cd "$tmp" && cargo hakari generate --quiet && cargo hakari manage-deps --yes --quiet)
# The unified dependencies apply off wasm32 only: a WebAssembly build of a
# crate that depends on the hack (crates/web) must not pull in the native
# tree (zstd-sys, rustix, …). On the native targets the cfg is true, so
# nothing changes there. Build-dependencies run on the host and stay as they are.
sed -e "s/^\[dependencies\]\$/[target.'cfg(not(target_arch = \"wasm32\"))'.dependencies]/" \
  "$tmp/crates/workspace-hack/Cargo.toml" >"$root/crates/workspace-hack/Cargo.toml"
# Each member's dependency line on the hack crate.
(cd "$root" && cargo hakari manage-deps --yes --quiet)
echo "crates/workspace-hack/Cargo.toml regenerated; commit it with Cargo.lock"
