"""z and p of Cohen's kappa under the null of chance agreement (the numbers
irr::kappa2 reports; irr is not packaged for Debian bookworm).

Run after make_kappa.R: python3 crates/stats/tests/oracle/make_kappa_z.py
Reads crates/stats/tests/fixtures/kappa.json, writes kappa_z.json.
Call: statsmodels.stats.inter_rater.cohens_kappa(table) (unweighted) and
cohens_kappa(table, wt="linear" | "quadratic") with the levels' ranks as
weights; z_value, pvalue_two_sided, std_kappa0 (Fleiss, Cohen & Everitt 1969).
"""
import json
import pathlib
import sys

import numpy as np
import statsmodels
from statsmodels.stats.inter_rater import cohens_kappa

here = pathlib.Path(__file__).resolve().parent
fixtures = here.parent / "fixtures"
src = json.loads((fixtures / "kappa.json").read_text())
out = {
    "versions": {
        "python": sys.version.split()[0],
        "statsmodels": statsmodels.__version__,
        "numpy": np.__version__,
    },
    "cases": [],
}
for case in src["cases"]:
    a, b = case["a"], case["b"]
    levels = case.get("levels") or sorted(set(a) | set(b))
    idx = {v: i for i, v in enumerate(levels)}
    table = np.zeros((len(levels), len(levels)))
    for u, v in zip(a, b):
        table[idx[u], idx[v]] += 1
    entry = {"name": case["name"]}
    for key, wt in [("unweighted", None), ("linear", "linear"), ("quadratic", "quadratic")]:
        if wt is None:
            r = cohens_kappa(table)
        else:
            r = cohens_kappa(table, weights=np.arange(len(levels)), wt=wt)
        entry[key] = {
            "kappa": float(r.kappa),
            "se0": float(r.std_kappa0),
            "z": float(r.z_value),
            "p_value": float(r.pvalue_two_sided),
        }
    out["cases"].append(entry)
path = fixtures / "kappa_z.json"
path.write_text(json.dumps(out, indent=2) + "\n")
print("wrote", path)
