"""dlrn from Python gives the `dlrn` command line's numbers on the same inputs."""

import csv
import json
import math
import shutil
import subprocess

import numpy as np

import dlrn
from conftest import fixture


def run(cli, *args, cwd=None):
    p = subprocess.run([str(cli), *map(str, args)], cwd=cwd, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def busat_cohort(tmp_path):
    """The two real BUSAT samples (crates/radiomics/tests/fixtures, = the
    shared busat-samples) as a cohort folder."""
    (tmp_path / "images").mkdir(parents=True)
    (tmp_path / "masks").mkdir()
    for case in ("BUS01", "BUS02"):
        shutil.copy(fixture("radiomics", f"{case}.png"), tmp_path / "images" / f"{case}.png")
        shutil.copy(fixture("radiomics", f"{case}_mask.png"), tmp_path / "masks" / f"{case}.png")
    return tmp_path


def read_table(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def same(a, b, what):
    if math.isnan(b):
        assert math.isnan(a), what
    else:
        assert abs(a - b) <= 1e-12 * max(1.0, abs(b)), f"{what}: {a!r} vs CLI {b!r}"


def test_handcrafted_equals_the_cli_rows(dlrn_cli, tmp_path):
    cohort = busat_cohort(tmp_path / "cohort")
    out = tmp_path / "hc.csv"
    run(dlrn_cli, "extract", "handcrafted", "--cohort", cohort, "--out", out)
    header, rows = read_table(out)
    names = dlrn.handcrafted_names()
    assert header[-544:] == names
    assert [r[0] for r in rows] == ["BUS01", "BUS02"]
    table = dlrn.extract_handcrafted(cohort)
    for r in rows:
        case = r[0]
        img = dlrn.read_image(cohort / "images" / f"{case}.png")
        mask = dlrn.read_mask(cohort / "masks" / f"{case}.png")
        one = dlrn.handcrafted(img.pixels, mask)
        cli = [float("nan") if v in ("", "NA", "NaN") else float(v) for v in r[-544:]]
        for name, want, got_one in zip(names, cli, np.asarray(one, dtype=float)):
            same(got_one, want, f"{case} {name} (handcrafted)")
        got_table = np.asarray(table.loc[case, names], dtype=float)
        for name, want, got in zip(names, cli, got_table):
            same(got, want, f"{case} {name} (extract_handcrafted)")


def test_lasso_cv_equals_dlrn_lasso(dlrn_cli, tmp_path):
    table = fixture("lasso", "rseed_cv.csv")
    out = tmp_path / "model.json"
    printed = run(
        dlrn_cli, "lasso", "--train", table, "--measure", "mse", "--r-seed", "1",
        "--out", out, "--json",
    )
    cli = json.loads(printed)["model"]
    header, body = read_table(table)
    X = np.array([[float(v) for v in r[2:]] for r in body])
    y = np.array([int(r[1]) for r in body])
    cv = dlrn.lasso_cv(X, y, r_seed=1, measure="mse", names=header[2:])
    model = cv.model_min
    assert model["lambda"] == cli["lambda"]
    assert model["intercept"] == cli["intercept"]
    assert model["features"] == cli["features"]
    assert model["path"]["cvm"] == cli["path"]["cvm"]
    assert model["path"]["lambda"] == cli["path"]["lambda"]
