"""Bad input from Python raises a typed dlrn exception naming what is wrong,
and never crashes the interpreter: each case runs in its own subprocess,
which must exit normally after catching the expected exception."""

import subprocess
import sys
import textwrap

import pytest

from conftest import fixture

SETUP = f"""
import sys
import numpy as np
import dlrn
img = dlrn.read_image({str(fixture("radiomics", "BUS01.png"))!r}).pixels
mask = dlrn.read_mask({str(fixture("radiomics", "BUS01_mask.png"))!r})
y = np.array([0, 1] * 10, dtype=float)
s = np.linspace(0.0, 1.0, 20)
"""

CASES = [
    # (name, statement, exception, text the message must contain)
    ("wrong dtype", "dlrn.roc_auc(y, ['a'] * 20)", "BadInputError", "not numeric"),
    ("wrong shape", "dlrn.roc_auc(y, np.ones((20, 2)))", "BadInputError", "1-D"),
    ("NaN label", "y[3] = np.nan; dlrn.roc_auc(y, s)", "BadInputError", "row 4"),
    ("label 2", "y[0] = 2; dlrn.delong_test(y, s, s[::-1])", "BadInputError", "row 1"),
    ("length mismatch", "dlrn.roc_auc(y, s[:-1])", "BadInputError", "pair up"),
    ("non-finite score", "s[5] = np.inf; dlrn.roc_auc(y, s)", "BadInputError", "row 6"),
    ("mask of another size", "dlrn.handcrafted(img, mask[:-1])", "BadInputError", "width×height"),
    ("float image", "dlrn.handcrafted(img.astype(float), mask)", "BadInputError", "uint8"),
    ("3-D image", "dlrn.handcrafted(np.stack([img] * 3, -1), mask)", "BadInputError", "2-D"),
    ("empty mask", "dlrn.handcrafted(img, np.zeros_like(mask))", "BadInputError", "no lesion"),
    ("whole-frame mask", "dlrn.handcrafted(img, np.ones_like(mask))", "BadInputError", "whole frame"),
    ("missing image file", "dlrn.read_image('/nonexistent/P1.png')", "BadInputError", "/nonexistent/P1.png"),
    ("missing mask file", "dlrn.read_mask('/nonexistent/P1.png')", "BadInputError", "/nonexistent/P1.png"),
    ("outline without shape", "dlrn.read_mask('P1.roi')", "BadInputError", "shape"),
    ("undecodable image", "open('bad.png','wb').write(b'not a png'); dlrn.read_image('bad.png')", "BadInputError", "bad.png"),
    ("missing cohort", "dlrn.extract_handcrafted('/nonexistent/cohort')", "BadInputError", "/nonexistent/cohort"),
    ("lasso NaN cell", "X = np.random.default_rng(1).normal(size=(20, 3)); X[2, 1] = np.nan; dlrn.lasso_cv(X, y, names=['a','b','c'])", "BadInputError", "row 3, column `b`"),
    ("lasso bad measure", "dlrn.lasso_cv(np.eye(20)[:, :3], y, measure='brier')", "BadInputError", "measure"),
    ("icc 1-D", "dlrn.icc(s)", "BadInputError", "2-D"),
    ("weights missing", "dlrn.ResNet50('/nonexistent/w.pth')", "DlrnError", "/nonexistent/w.pth"),
    ("separation", "x = np.arange(20.0); dlrn.logistic(x[:, None], (x > 9).astype(float))", "ModelError", "separation"),
]


@pytest.mark.parametrize("name,stmt,exc,text", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_typed_exception_without_crashing(name, stmt, exc, text, tmp_path):
    script = SETUP + textwrap.dedent(
        f"""
        try:
            {stmt}
        except dlrn.{exc} as e:
            assert isinstance(e, dlrn.DlrnError)
            print("RAISED", type(e).__name__, e)
            sys.exit(0)
        print("NO ERROR")
        sys.exit(3)
        """
    )
    p = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    # A negative code is a signal (a crash); 3 is "no exception".
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    assert text in p.stdout, p.stdout


def test_exception_hierarchy():
    import dlrn

    for cls in (dlrn.BadInputError, dlrn.ModelError, dlrn.BundleError):
        assert issubclass(cls, dlrn.DlrnError)
    assert issubclass(dlrn.DlrnError, Exception)
