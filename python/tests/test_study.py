"""dlrn.fit_study on the quick study's extracted feature tables against the
`cargo xtask paper --config configs/quick.toml` run that extracted them: the
same Table 2, Table 3, cut-offs and calibration files, byte for byte."""

from pathlib import Path

import dlrn

ROOT = Path(__file__).resolve().parents[2]


def test_fit_study_equals_the_paper_run(quick_study, tmp_path):
    bundle, cohorts = quick_study
    study = bundle.parent  # the `cargo xtask paper` output folder
    got = dlrn.fit_study(ROOT / "configs" / "quick.toml", study, tmp_path / "fit", cohorts=cohorts, root=ROOT)
    compared = 0
    for name in ("table2.csv", "table3.csv", "cutoffs.csv", "calibration.csv", "predictions.csv"):
        want = study / name
        if want.exists():
            assert (tmp_path / "fit" / name).read_bytes() == want.read_bytes(), name
            compared += 1
    assert compared >= 3
    t2 = got.tables["table2"]
    assert set(t2["model"]) >= {"Clinical", "Signature", "DLRN"}
    assert got.bundle.signature == dlrn.Bundle(bundle).signature
