"""A worked example of dlrn from Python, on the quick simulated study.

Run it from the repository root after `pip install .` (README, "From
Python"):

    python examples/python/quick_study.py [COHORTS_DIR] [--bundle MODEL_DIR]

COHORTS_DIR defaults to data/sim-quick, the cohorts of configs/quick.toml; they
are simulated with the `dlrn` command line when absent. Each step is a cell
of a notebook: read one case, compute its 544 handcrafted features, build
the training table, fit the LASSO signature, score an external cohort,
compare two scores by DeLong, and draw the ROC curves.
"""

# %% Setup
import argparse
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

import dlrn

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("cohorts", nargs="?", default="data/sim-quick")
parser.add_argument("--bundle", default="reports/quick/model", help="a study's model/ folder")
parser.add_argument("--plot", default="roc_evc1.png", help="where to save the ROC figure")
args = parser.parse_args()
cohorts = Path(args.cohorts)

# %% The quick simulated study (configs/quick.toml: seed 2024, a quarter of the patients)
if not (cohorts / "TC" / "clinical.csv").exists():
    dlrn_cli = os.environ.get("DLRN_BIN") or shutil.which("dlrn") or "target/debug/dlrn"
    print(f"simulating the quick study into {cohorts} with {dlrn_cli} ...")
    subprocess.run(
        [dlrn_cli, "simulate", "--out", str(cohorts), "--seed", "2024", "--scale", "0.25"],
        check=True,
    )

# %% One case: the image as 8-bit grey (and how it got there), its mask, its features
case = sorted((cohorts / "TC" / "images").iterdir())[0]
image = dlrn.read_image(case)
mask = dlrn.read_mask(cohorts / "TC" / "masks" / case.name)
print(f"{case.name}: {image.pixels.shape[1]}×{image.pixels.shape[0]} px, "
      f"lesion {int(mask.sum())} px, grey mapping {image.mapping['voi']}")
features = dlrn.handcrafted(image.pixels, mask)
for name in ("sNRV", "oAngle", "hEtp", "glcm_contr_D1_mean"):
    print(f"  {name:>20} = {float(features[name]):.6g}")


# %% The training and validation tables: 544 features per patient plus the label
names = dlrn.handcrafted_names()


def table(cohort):
    """Handcrafted features of a cohort (rows by id) and its ALN status:
    `dlrn extract handcrafted`'s table (resumable when given `out=`)."""
    out = dlrn.extract_handcrafted(cohorts / cohort)
    if hasattr(out, "index"):  # pandas: ALN_status first, then the 544 features
        return list(out.index), out[names].to_numpy(dtype=float), out["ALN_status"].to_numpy(dtype=float)
    ids, X = out
    labels = {}
    with open(cohorts / cohort / "clinical.csv") as fh:
        header = fh.readline().strip().split(",")
        i_id, i_y = header.index("id"), header.index("ALN_status")
        for line in fh:
            cells = line.strip().split(",")
            labels[cells[i_id]] = float(cells[i_y])
    return ids, np.asarray(X, dtype=float), np.array([labels[i] for i in ids])


_, X_train, y_train = table("TC")
ids_evc1, X_evc1, y_evc1 = table("EVC1")
# Features with a NaN in any training row cannot enter the LASSO (dlrn lasso
# --drop-na-columns does the same).
keep = ~np.isnan(X_train).any(axis=0) & ~np.isnan(X_evc1).any(axis=0)
print(f"TC: {X_train.shape[0]} patients, EVC1: {X_evc1.shape[0]}; {int(keep.sum())} usable features")

# %% LASSO-logistic signature with cross-validation (cv.glmnet, R's folds after set.seed(1))
cv = dlrn.lasso_cv(X_train[:, keep], y_train, r_seed=1, names=[n for n, k in zip(names, keep) if k])
print(cv)
coef = cv.coefficients("lambda.min")
print(f"signature: {len(coef) - 1} features at lambda.min = {cv.lambda_min:.5g}")

# %% Score the external cohort and compare two scores by DeLong
signature = cv.score(X_evc1[:, keep])
single = X_evc1[:, names.index("sNRV")]  # one shape feature alone, for contrast
auc_sig = dlrn.roc_auc(y_evc1, signature)
auc_one = dlrn.roc_auc(y_evc1, single)
test = dlrn.delong_test(y_evc1, signature, single)
print(f"EVC1 signature AUC {auc_sig.auc:.3f} ({auc_sig.ci_low:.3f}–{auc_sig.ci_high:.3f}), "
      f"sNRV alone {auc_one.auc:.3f}; DeLong z = {test.z:.2f}, p = {test.p_value:.3g}")
cut = dlrn.youden(y_train, cv.score(X_train[:, keep]))
diag = dlrn.diagnostic_metrics(y_evc1, signature, cut.threshold)
print(f"at the training Youden cut-off: sensitivity {diag.sensitivity['value']:.3f}, "
      f"specificity {diag.specificity['value']:.3f}")

# %% The study's frozen model bundle on EVC1 (when `cargo xtask paper --config configs/quick.toml` has run)
if hasattr(dlrn, "Bundle") and Path(args.bundle, "manifest.json").exists():
    bundle = dlrn.Bundle(args.bundle)
    # = `dlrn predict --model … --cohort …`; inputs outside the training range
    # come as dlrn.InputWarning (the text `dlrn predict` prints) and in the
    # `warnings` column. Here they are counted instead of shown.
    with warnings.catch_warnings(record=True) as outside:
        warnings.simplefilter("always", dlrn.InputWarning)
        predictions = bundle.predict(cohorts / "EVC1")
    print(f"{len(outside)} input(s) outside the training range (the `warnings` column)")
    p_dlrn = np.array([r["p_dlrn"] for r in (predictions.to_dict("records") if hasattr(predictions, "to_dict") else predictions)])
    labels = dict(zip(ids_evc1, y_evc1))
    y_pred = np.array([labels[r] for r in (list(predictions["id"]) if hasattr(predictions, "to_dict") else [r["id"] for r in predictions])])
    auc_dlrn = dlrn.roc_auc(y_pred, p_dlrn)
    print(f"the study's DLRN on EVC1: AUC {auc_dlrn.auc:.3f} ({auc_dlrn.ci_low:.3f}–{auc_dlrn.ci_high:.3f}); "
          f"{int(sum(r for r in p_dlrn >= bundle.cutoffs['dlrn']))} of {len(p_dlrn)} predicted ALN+")
    # = `dlrn assess`: Table 2 rows at the bundle's cut-offs, calibration,
    # curves and an index.html in the folder; the tables come back as DataFrames.
    assessed = bundle.assess(cohorts / "EVC1", out="assess_evc1", warn=False)
    print(f"dlrn assess: {len(assessed.files)} files in {assessed.out}; Table 2:")
    print(assessed.tables["table2"])
else:
    print(f"(no model bundle at {args.bundle}: skipping the bundle's predictions)")

# %% ROC curves (matplotlib, when installed)
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("(matplotlib not installed: no figure)")
    sys.exit(0)

fig, ax = plt.subplots(figsize=(4.5, 4.5))
for score, label in ((signature, "LASSO signature"), (single, "sNRV")):
    r = dlrn.roc_curve(y_evc1, score)
    ax.plot(1 - np.array(r.specificities), r.sensitivities, label=f"{label} (AUC {r.auc:.3f})")
ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
ax.set_xlabel("1 − specificity")
ax.set_ylabel("sensitivity")
ax.set_title("EVC1 (simulated)")
ax.legend(loc="lower right")
fig.tight_layout()
fig.savefig(args.plot, dpi=120)
print(f"wrote {args.plot}")
