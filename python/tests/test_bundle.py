"""dlrn.Bundle against `dlrn predict` on the quick simulated study, and a
tampered bundle raising BundleError."""

import csv
import math
import shutil
import subprocess
import sys
import textwrap

import dlrn


def read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_predict_equals_dlrn_predict(dlrn_cli, quick_study, tmp_path):
    bundle, cohorts = quick_study
    out = tmp_path / "predict.csv"
    p = subprocess.run(
        [str(dlrn_cli), "predict", "--model", str(bundle), "--cohort", str(cohorts / "EVC1"), "--out", str(out)],
        capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stderr
    header, rows = read_csv(out)
    got = dlrn.Bundle(bundle).predict(cohorts / "EVC1")
    assert list(got.columns) == header
    assert len(got) == len(rows) > 0
    for (_, g), r in zip(got.iterrows(), rows):
        assert g["id"] == r[0]
        for name, cell in zip(header[1:-1], r[1:-1]):
            want, have = float(cell), float(g[name])
            assert abs(have - want) <= 1e-12 * max(1.0, abs(want)), (r[0], name, have, want)
        assert g["warnings"] == r[-1]


def test_predict_one_equals_the_cohort_row(quick_study):
    bundle, cohorts = quick_study
    b = dlrn.Bundle(bundle)
    evc1 = cohorts / "EVC1"
    table = b.predict(evc1)
    first = table.iloc[0]
    with open(evc1 / "clinical.csv", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["id"] == first["id"])
    image = next((evc1 / "images").glob(first["id"] + ".*"))
    mask = next((evc1 / "masks").glob(first["id"] + ".*"))
    clinical = {k: row[k] for k in b.clinical_variables()}
    one = b.predict_one(image, mask, clinical, id=first["id"])
    assert one.p_dlrn == first["p_dlrn"]
    assert one.signature_score == first["signature_score"]
    assert not math.isnan(one.total_points)


def test_tampered_bundle_raises_bundle_error(quick_study, tmp_path):
    bundle, _ = quick_study
    copy = tmp_path / "model"
    shutil.copytree(bundle, copy)
    sig = copy / "signature.json"
    sig.write_text(sig.read_text().replace("1", "2", 1))
    script = textwrap.dedent(
        f"""
        import sys, dlrn
        try:
            dlrn.Bundle({str(copy)!r})
        except dlrn.BundleError as e:
            print("RAISED", e)
            sys.exit(0)
        sys.exit(3)
        """
    )
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "signature.json" in p.stdout and "SHA-256" in p.stdout, p.stdout


def test_missing_bundle_raises_bundle_error(tmp_path):
    try:
        dlrn.Bundle(tmp_path / "nothing")
    except dlrn.BundleError as e:
        assert "manifest" in str(e)
    else:
        raise AssertionError("no BundleError")
