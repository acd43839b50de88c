"""dlrn from Python against independent references committed in the
repository: BUSAT's values on BUS01, R's pROC / rms / Hmisc / psych / glmnet
outputs, and torchvision's preprocessing and activations."""

import csv
import json
import math

import numpy as np
import pytest

import dlrn
from conftest import fixture

# The crates' own oracle tolerances (crates/stats/tests/oracle.rs).
CLOSED = 1e-9
ITERATIVE = 1e-6


def close(ours, r, tol, what):
    assert abs(ours - r) <= tol * max(1.0, abs(r)), f"{what}: {ours!r} vs R {r!r}"


def load(crate, name):
    return json.loads(fixture(crate, name).read_text())


def nan_list(values):
    return np.array([math.nan if v is None else v for v in values], dtype=float)


# ---------------------------------------------------------------- BUSAT


def test_handcrafted_matches_busat_on_bus01():
    img = dlrn.read_image(fixture("radiomics", "BUS01.png"))
    mask = dlrn.read_mask(fixture("radiomics", "BUS01_mask.png"))
    assert img.pixels.dtype == np.uint8 and mask.dtype == np.bool_
    assert img.pixels.shape == mask.shape
    f = dlrn.handcrafted(img.pixels, mask)
    with open(fixture("radiomics", "BUS01_reference.csv"), newline="") as fh:
        rows = list(csv.reader(fh))
    names, values = rows[0], rows[1]
    assert list(f.index) == names == dlrn.handcrafted_names()
    assert len(names) == 544
    bad = []
    for name, want in zip(names, values):
        got = float(f[name])
        if want == "NA":
            ok = math.isnan(got)
        else:
            w = float(want)
            # handcrafted-features.md §6.9: the ranklet *_rng_* columns are
            # BUSAT's rounding noise around 0, compared with 1e-12 absolute.
            tol_abs = 1e-12 if "_rng_" in name else 1e-9
            ok = abs(got - w) <= tol_abs or abs(got - w) <= 1e-6 * abs(w)
        if not ok:
            bad.append(f"{name}: {got!r} vs BUSAT {want}")
    assert not bad, "\n".join(bad)


# ---------------------------------------------------------------- pROC


def test_roc_auc_delong_youden_and_exact_cis_match_proc():
    d = load("stats", "roc.json")
    assert d["rocs"]
    for r in d["rocs"]:
        y, s = r["labels"], r["scores"]
        a = dlrn.roc_auc(y, s)
        close(a.auc, r["auc"], CLOSED, r["name"] + " auc")
        close(a.variance, r["variance"], CLOSED, r["name"] + " var")
        close(a.ci_low, r["ci_low"], CLOSED, r["name"] + " ci_low")
        close(a.ci_high, r["ci_high"], CLOSED, r["name"] + " ci_high")
        yd = dlrn.youden(y, s)
        th = r["youden"]["threshold"]
        # pROC lists every tied threshold; dlrn returns the first (lowest).
        first = th[0] if isinstance(th, list) else th
        close(yd.threshold, first, CLOSED, r["name"] + " youden")
        dm = dlrn.diagnostic_metrics(y, s, r["cutoff"])
        for k in ("tp", "fp", "tn", "fn"):
            assert dm[k] == r[k], (r["name"], k)
        for k in ("accuracy", "sensitivity", "specificity", "ppv", "npv"):
            for part in ("value", "ci_low", "ci_high"):
                close(dm[k][part], r[k][part], CLOSED, f"{r['name']} {k} {part}")


def test_delong_test_matches_proc_roc_test():
    d = load("stats", "roc.json")
    assert d["paired"]
    for p in d["paired"]:
        t = dlrn.delong_test(p["labels"], p["a"], p["b"])
        for k in ("z", "p_value", "ci_low", "ci_high", "auc_a", "auc_b"):
            close(t[k], p[k], CLOSED, f"{p['name']} {k}")


def test_all_equal_scores_give_half():
    e = load("stats", "roc.json")["all_equal"]
    a = dlrn.roc_auc(e["labels"], e["scores"])
    assert a.auc == e["auc"]


# ---------------------------------------------------------------- rms, Hmisc, dca


def test_calibration_decision_curve_and_improve_prob_match_r():
    d = load("stats", "calibration.json")
    y, old, new = d["y"], d["p_old"], d["p_new"]
    c = dlrn.calibration(y, new)
    for k in ("intercept", "slope", "brier", "eavg", "emax", "e90", "citl"):
        close(c[k], d["val_prob"][k], ITERATIVE, "val.prob " + k)
    hl = d["hosmer_lemeshow"]
    close(c.hosmer_lemeshow["statistic"], hl["statistic"], CLOSED, "HL statistic")
    close(c.hosmer_lemeshow["p_value"], hl["p_value"], CLOSED, "HL p")
    dc = dlrn.decision_curve(y, new, d["decision"]["thresholds"])
    assert len(dc.points) == len(d["decision"]["thresholds"])
    for pt, nb, ta in zip(dc.points, d["decision"]["net_benefit"], d["decision"]["treat_all"]):
        close(pt["net_benefit"], nb, CLOSED, f"net benefit at {pt['threshold']}")
        close(pt["treat_all"], ta, CLOSED, f"treat all at {pt['threshold']}")
    ip = dlrn.improve_prob(y, old, new)
    r = d["improve_prob"]
    close(ip.nri["value"], r["nri"], CLOSED, "nri")
    close(ip.nri["se"], r["se_nri"], CLOSED, "se nri")
    close(ip.idi["value"], r["idi"], CLOSED, "idi")
    close(ip.idi["se"], r["se_idi"], CLOSED, "se idi")


def test_logistic_matches_glm_and_lrm():
    d = load("stats", "logistic.json")
    data = d["data"]
    names = ["age", "birads", "grade", "us_aln", "size", "bmi"]
    X = np.column_stack([nan_list(data[n]) for n in names])
    fit = dlrn.logistic(X, data["y"], names=names)
    m = d["multivariable"]
    assert fit.n == m["n"]
    assert [c["name"] for c in fit.coefficients] == m["names"]
    for i, c in enumerate(fit.coefficients):
        for k in ("estimate", "std_error", "z", "p_value", "odds_ratio", "or_ci_low", "or_ci_high"):
            close(c[k], m[k][i], ITERATIVE, f"{c['name']} {k}")
    for k in ("deviance", "null_deviance", "aic", "lr_chisq", "nagelkerke_r2", "brier", "c_index"):
        close(fit[k], m[k], ITERATIVE, k)
    assert fit.fitted.shape == (m["n"],)
    assert fit.covariance.shape == (7, 7)


def test_logistic_with_pandas_keeps_column_names():
    pd = pytest.importorskip("pandas")
    d = load("stats", "logistic.json")["evc1_signature"]
    X = pd.DataFrame({"signature": d["signature"]})
    fit = dlrn.logistic(X, d["y"])
    assert [c["name"] for c in fit.coefficients] == d["names"]
    for i, c in enumerate(fit.coefficients):
        close(c["estimate"], d["estimate"][i], ITERATIVE, c["name"])


# ---------------------------------------------------------------- psych


def test_icc_matches_psych():
    for e in load("stats", "agreement.json")["icc"]:
        x = np.array(e["raters"], dtype=float).T  # subjects × raters
        t = dlrn.icc(x)
        assert [r["form"] for r in t.rows] == e["type"]
        for i, row in enumerate(t.rows):
            for k in ("icc", "f", "df1", "df2", "p_value", "ci_low", "ci_high"):
                close(row[k], e[k][i], CLOSED, f"{e['name']} {row['form']} {k}")


# ---------------------------------------------------------------- glmnet


def rseed_oracle():
    rows = {}
    with open(fixture("lasso", "rseed_cv_glmnet.csv")) as fh:
        lines = [l for l in fh.read().splitlines() if not l.startswith("#")]
    for line in lines[1:]:
        k, v = line.split(",", 1)
        rows[k] = v
    return rows


def rseed_table():
    with open(fixture("lasso", "rseed_cv.csv"), newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    names = header[2:]
    X = np.array([[float(v) for v in r[2:]] for r in body])
    y = np.array([int(r[1]) for r in body])
    return X, y, names


def test_lasso_cv_with_r_seed_reproduces_cv_glmnet():
    o = rseed_oracle()
    X, y, names = rseed_table()
    cv = dlrn.lasso_cv(X, y, r_seed=1, measure="mse", names=names)
    want = float(o["lambda_min"])
    assert abs(cv.lambda_min - want) / want < 1e-10, (cv.lambda_min, want)
    coef = cv.coefficients("lambda.min")
    assert list(coef.keys()) == ["(Intercept)", "f_1", "f_2", "f_3"]
    for k, v in coef.items():
        # glmnet's default thresh 1e-7 on both sides (tests/cli_lasso.rs).
        assert abs(v - float(o[k])) < 1e-5, (k, v, o[k])
    cvm = [float(v) for v in o["cvm"].split(";")]
    assert len(cv.cvm) == len(cvm)
    assert np.max(np.abs(cv.cvm - np.array(cvm))) < 1e-6
    foldid = [int(v) for v in o["foldid"].split(";")]
    assert cv.foldid.tolist() == foldid
    # The score is intercept + X @ beta at lambda.min.
    s = cv.score(X)
    b = np.array([coef.get(n, 0.0) for n in names])
    np.testing.assert_allclose(s, coef["(Intercept)"] + X @ b, rtol=1e-12, atol=1e-12)


def test_lasso_cv_takes_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, y, names = rseed_table()
    df = pd.DataFrame(X, columns=names)
    cv = dlrn.lasso_cv(df, pd.Series(y), r_seed=1, measure="mse")
    assert cv.names == names
    assert set(cv.coefficients().index) == {"(Intercept)", "f_1", "f_2", "f_3"}


# ---------------------------------------------------------------- torchvision


def read_f32(name):
    return np.frombuffer(fixture("deep", name).read_bytes(), dtype="<f4")


def test_preprocess_matches_torchvision_on_bus01():
    meta = load("deep", "preprocess_bus01.json")
    img = dlrn.read_image(fixture("deep", "BUS01.png")).pixels
    mask = dlrn.read_mask(fixture("deep", "BUS01_mask.png"))
    x = dlrn.preprocess(img, mask)
    want = read_f32("preprocess_bus01.bin").reshape(meta["shape"])
    assert x.shape == tuple(meta["shape"]) and x.dtype == np.float32
    # As crates/deep/tests/torchvision.rs.
    assert np.max(np.abs(x - want)) <= 1e-6


def test_small_resnet_features_match_torchvision():
    meta = load("deep", "small_meta.json")
    for weights in ("small_resnet.pth", "small_resnet.safetensors"):
        net = dlrn.ResNet50(fixture("deep", weights), base_width=meta["base_width"], blocks=tuple(meta["blocks"]))
        assert net.dim == meta["features_shape"][1]
        assert net.weights["format"] in ("pytorch", "safetensors")
        x = read_f32("small_input.bin").reshape(meta["input_shape"])
        got = net.features_from_inputs(x)
        want = read_f32("small_features.bin").reshape(meta["features_shape"])
        scale = np.max(np.abs(want))
        # crates/deep/tests/torchvision.rs: 1e-4 × max|f|.
        assert np.max(np.abs(got - want)) <= 1e-4 * scale, weights


def test_resnet50_features_shape_and_determinism():
    img = dlrn.read_image(fixture("deep", "BUS01.png")).pixels
    mask = dlrn.read_mask(fixture("deep", "BUS01_mask.png"))
    net = dlrn.ResNet50(seed=7)
    assert net.weights == {"source": "random", "seed": 7}
    f = net.features([img, img], [mask, mask], batch=1)
    assert f.shape == (2, 2048) and f.dtype == np.float32
    assert np.array_equal(f[0], f[1])
    # The same as the network on the preprocessed input.
    g = net.features_from_inputs(dlrn.preprocess(img, mask)[None])
    assert np.array_equal(f[:1], g)
