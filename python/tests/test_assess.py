"""Bundle.predict and Bundle.assess against `dlrn predict` and `dlrn assess`
on the quick simulated study's EVC1: the same files, byte for byte, the same
warnings, and the tables as DataFrames holding the CLI's numbers."""

import csv
import subprocess
import warnings
from pathlib import Path

import dlrn


def files(folder: Path):
    """The tables and JSON of a report folder, relative path → bytes (the
    manifest, pages and figures name the folder and are left out)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".csv", ".json") and "work" not in p.relative_to(folder).parts
        and p.name != "manifest.json"
    }


def test_predict_writes_the_cli_file_and_warns_as_it(dlrn_cli, quick_study, tmp_path):
    bundle, cohorts = quick_study
    cli = tmp_path / "cli.csv"
    p = subprocess.run(
        [str(dlrn_cli), "predict", "--model", str(bundle), "--cohort", str(cohorts / "EVC1"), "--out", str(cli)],
        capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stderr
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = dlrn.Bundle(bundle).predict(cohorts / "EVC1", out=tmp_path / "py.csv", progress=False)
    assert (tmp_path / "py.csv").read_bytes() == cli.read_bytes()
    cli_warnings = [line[len("warning: "):] for line in p.stderr.splitlines() if line.startswith("warning: ")]
    got = [str(w.message) for w in caught if issubclass(w.category, dlrn.InputWarning)]
    assert got == cli_warnings
    with open(cli, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(table["warnings"]) == [r["warnings"] for r in rows]


def test_assess_equals_dlrn_assess(dlrn_cli, quick_study, tmp_path):
    bundle, cohorts = quick_study
    evc1 = cohorts / "EVC1"
    cli_out = tmp_path / "cli"
    p = subprocess.run(
        [str(dlrn_cli), "assess", "--model", str(bundle), "--cohort", str(evc1), "--out", str(cli_out)],
        capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stderr
    b = dlrn.Bundle(bundle)
    got = b.assess(evc1, out=tmp_path / "py", progress=False, warn=False)
    want = files(cli_out)
    assert "table2.csv" in want and "patients.csv" in want, sorted(want)
    have = files(tmp_path / "py")
    assert sorted(have) == sorted(want)
    for name in want:
        assert have[name] == want[name], name
    # The DataFrames hold the CLI file's numbers.
    with open(cli_out / "table2.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    t2 = got.tables["table2"]
    assert list(t2.columns) == rows[0]
    assert len(t2) == len(rows) - 1
    for (_, r), cells in zip(t2.iterrows(), rows[1:]):
        for col, cell in zip(rows[0], cells):
            v = r[col]
            if isinstance(v, float):
                assert (v != v and cell in ("", "NA", "NaN")) or v == float(cell), (col, v, cell)
            else:
                assert str(v) == cell, (col, v, cell)
    assert "index.html" in got.files
    assert any(m.endswith("files") for m in got.messages)


def test_assess_of_a_predict_dataframe(dlrn_cli, quick_study, tmp_path):
    bundle, cohorts = quick_study
    evc1 = cohorts / "EVC1"
    cli_out = tmp_path / "cli"
    p = subprocess.run(
        [str(dlrn_cli), "assess", "--model", str(bundle), "--cohort", str(evc1), "--out", str(cli_out)],
        capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stderr
    b = dlrn.Bundle(bundle)
    table = b.predict(evc1, progress=False, warn=False)
    with open(evc1 / "clinical.csv", newline="") as fh:
        y = {r["id"]: float(r["ALN_status"]) for r in csv.DictReader(fh)}
    table["ALN_status"] = [y[i] for i in table["id"]]
    got = b.assess(table, out=tmp_path / "df", name="EVC1", warn=False)
    want, have = files(cli_out), files(tmp_path / "df")
    for name in ("table2.csv", "calibration.csv"):
        if name in want:
            assert have[name] == want[name], name
    assert got.tables["table2"].equals(b.assess(evc1, out=tmp_path / "dir", warn=False).tables["table2"])
