"""dlrn.extract_handcrafted on the feature store: the table `dlrn extract
handcrafted` writes, byte for byte, also after a run killed or interrupted
(Ctrl-C) midway and resumed; progress reported between batches."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import dlrn


def cli_table(dlrn_cli, cohort, out):
    p = subprocess.run(
        [str(dlrn_cli), "extract", "handcrafted", "--cohort", str(cohort), "--out", str(out)],
        capture_output=True, text=True,
    )
    assert p.returncode == 0, p.stderr
    return out.read_bytes()


def start(cohort, out):
    """A Python process extracting `cohort` into `out` (no progress bar)."""
    script = textwrap.dedent(
        f"""
        import dlrn
        try:
            dlrn.extract_handcrafted({str(cohort)!r}, out={str(out)!r}, progress=False)
        except KeyboardInterrupt:
            print("INTERRUPTED", flush=True)
            raise SystemExit(7)
        print("DONE", flush=True)
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def stop_after_first_batch(proc, out, sig):
    """Sends `sig` to `proc` once its first batch is saved (the partial table
    exists), and waits for it to end."""
    partial = out.with_name(out.stem + ".partial" + out.suffix)
    deadline = time.monotonic() + 300
    while not partial.exists():
        assert proc.poll() is None, "the run ended before its first batch was saved: " + proc.stderr.read()
        assert time.monotonic() < deadline, "no partial table after 300 s"
        time.sleep(0.01)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=300)
    assert not out.exists(), "the run finished before it was stopped (too few cases to interrupt)"
    assert partial.exists(), "the partial rows are gone"
    return stdout, stderr


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_interrupted_run_resumes_to_the_cli_table(dlrn_cli, quick_study, tmp_path, sig):
    _, cohorts = quick_study
    cohort = cohorts / "TC"  # more cases than one batch (64)
    n = len(list((cohort / "images").iterdir()))
    assert n > 64
    want = cli_table(dlrn_cli, cohort, tmp_path / "cli.csv")

    out = tmp_path / "py.csv"
    stdout, stderr = stop_after_first_batch(start(cohort, out), out, sig)
    if sig == signal.SIGINT:
        assert "INTERRUPTED" in stdout, stdout + stderr

    calls = []
    table = dlrn.extract_handcrafted(cohort, out=out, progress=lambda done, todo: calls.append((done, todo)))
    assert out.read_bytes() == want
    # Resumed: only the cases not saved before the stop were computed.
    todo = calls[-1][1]
    assert 0 < todo <= n - 64, calls
    assert calls[-1] == (todo, todo)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert len(table) == n
    for sidecar in ("grey.json", "inputs.json"):
        a = (tmp_path / f"cli.csv.{sidecar}").read_text().replace("cli.csv", "X")
        b = (tmp_path / f"py.csv.{sidecar}").read_text().replace("py.csv", "X")
        assert a == b, sidecar


def test_fresh_table_equals_the_cli_bytes_and_shows_progress(dlrn_cli, quick_study, tmp_path, capfd):
    _, cohorts = quick_study
    cohort = cohorts / "EVC1"
    want = cli_table(dlrn_cli, cohort, tmp_path / "cli.csv")
    capfd.readouterr()
    table = dlrn.extract_handcrafted(cohort, out=tmp_path / "py.csv", progress=True)
    err = capfd.readouterr().err
    n = len(table)
    assert f"{n}/{n}" in err, err
    assert (tmp_path / "py.csv").read_bytes() == want
    # A rerun computes nothing (every row resumed) and says nothing.
    calls = []
    again = dlrn.extract_handcrafted(cohort, out=tmp_path / "py.csv", progress=lambda d, t: calls.append(d))
    assert calls == []
    assert again.equals(table)
    # Without `out`: the same rows, in memory.
    assert dlrn.extract_handcrafted(cohort, progress=False).equals(table)
    # Not a terminal and no progress asked for: silent.
    capfd.readouterr()
    dlrn.extract_handcrafted(cohort, out=tmp_path / "py2.csv")
    assert capfd.readouterr().err == ""
    assert (tmp_path / "py2.csv").read_bytes() == want


def test_failed_case_keeps_the_rows_and_names_it(tmp_path, quick_study):
    _, cohorts = quick_study
    src = cohorts / "EVC1"
    cohort = tmp_path / "cohort"
    (cohort / "images").mkdir(parents=True)
    (cohort / "masks").mkdir()
    ids = sorted(p.stem for p in (src / "images").iterdir())[:3]
    for i in ids:
        for sub in ("images", "masks"):
            f = next((src / sub).glob(i + ".*"))
            os.symlink(f, cohort / sub / f.name)
    bad = next((cohort / "images").glob(ids[1] + ".*"))
    bad.unlink()
    bad.write_bytes(b"not an image")
    out = tmp_path / "t.csv"
    with pytest.raises(dlrn.BadInputError) as e:
        dlrn.extract_handcrafted(cohort, out=out, progress=False)
    assert ids[1] in str(e.value) and "failures.csv" in str(e.value)
    assert not out.exists()
    with pytest.warns(dlrn.InputWarning, match=ids[1]):
        table = dlrn.extract_handcrafted(cohort, out=out, keep_going=True, progress=False)
    assert list(table.index) == [ids[0], ids[2]]
    assert out.exists()
