"""Reference side of the Kernel SHAP benchmark: shap's KernelExplainer (l1_reg=False, the
default 2M+2048 budget) on the same XGBoost model, rows and baseline as driftwatch.

    python bench/ref_shap.py DATA_DIR ROWS OUT.json

Prints seconds for ROWS rows and writes mean_abs global values.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import shap
import xgboost as xgb

d, n, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
booster = xgb.Booster()
booster.load_model(str(d / "model.json"))
names = open(d / "rows.csv").readline().strip().split(",")
X = np.loadtxt(d / "rows.csv", delimiter=",", skiprows=1)[:n]
cfg = json.load(open(d / "shap.config.json"))
B = np.array(cfg["methods"]["shap"]["baseline"], dtype=float)

def f(rows):
    return booster.inplace_predict(rows)

np.random.seed(7)
t = time.time()
explainer = shap.KernelExplainer(f, B)
values = explainer.shap_values(X, nsamples="auto", l1_reg=False, silent=True)
secs = time.time() - t
glob = dict(zip(names, np.abs(values).mean(axis=0).tolist()))
json.dump({"seconds": secs, "rows": n, "global": glob, "expected_value": float(np.ravel(explainer.expected_value)[0])}, open(out, "w"))
print(f"shap {shap.__version__}: {n} rows in {secs:.2f} s")
