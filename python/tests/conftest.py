"""Shared paths: the repository's oracle fixtures and the `dlrn` binary."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CRATES = ROOT / "crates"


def fixture(crate: str, name: str) -> Path:
    """A committed oracle fixture of crates/<crate>/tests/fixtures."""
    p = CRATES / crate / "tests" / "fixtures" / name
    assert p.exists(), f"missing fixture {p}"
    return p


def dlrn_bin() -> Path:
    """The `dlrn` command line: $DLRN_BIN, else the workspace's target/debug/dlrn
    (built by `cargo test` / `cargo build -p dlrn`)."""
    env = os.environ.get("DLRN_BIN")
    candidates = [Path(env)] if env else []
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    candidates += [target / "debug" / "dlrn", target / "release" / "dlrn"]
    on_path = shutil.which("dlrn")
    if on_path:
        candidates.append(Path(on_path))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    raise AssertionError(
        "the dlrn binary is needed to compare with the CLI: run `cargo build -p dlrn` "
        "or set DLRN_BIN"
    )


@pytest.fixture(scope="session")
def dlrn_cli() -> Path:
    return dlrn_bin()


@pytest.fixture(scope="session")
def quick_study():
    """(model bundle, cohorts folder) of the quick simulated study:
    $DLRN_PY_BUNDLE (a `cargo xtask paper --config configs/quick.toml`
    model/ folder) and $DLRN_PY_COHORTS (its cohorts, data/sim-quick). .ci/run
    makes both; elsewhere the tests that need them are skipped."""
    bundle, cohorts = os.environ.get("DLRN_PY_BUNDLE"), os.environ.get("DLRN_PY_COHORTS")
    if not bundle or not cohorts:
        if os.environ.get("CI"):
            raise AssertionError("CI must set DLRN_PY_BUNDLE and DLRN_PY_COHORTS (see .ci/run)")
        pytest.skip("set DLRN_PY_BUNDLE and DLRN_PY_COHORTS to a quick study's model/ and cohorts")
    return Path(bundle), Path(cohorts)
