"""Reference side of the TreeSHAP benchmark: shap's TreeExplainer, interventional, raw output
(the margin), on the same XGBoost model, rows and baseline as driftwatch.

    python bench/ref_tree_shap.py DATA_DIR ROWS OUT.json

Writes the seconds, the per-row values and the expected value.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import shap
import shap.explainers._tree as shap_tree
import xgboost as xgb

# shap 0.49 reads XGBoost 3's base_score ("[5E-1]") as a float and fails; the value is the same
# number without the brackets.
_decode = shap_tree.decode_ubjson_buffer


def _decode_fixed(fd):
    model = _decode(fd)
    param = model["learner"]["learner_model_param"]
    if isinstance(param.get("base_score"), str):
        param["base_score"] = param["base_score"].strip("[]")
    return model


shap_tree.decode_ubjson_buffer = _decode_fixed

d, n, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
booster = xgb.Booster()
booster.load_model(str(d / "model.json"))
X = np.loadtxt(d / "rows.csv", delimiter=",", skiprows=1)[:n]
cfg = json.load(open(d / "shap.config.json"))
B = np.array(cfg["methods"]["shap"]["baseline"], dtype=float)

t = time.time()
explainer = shap.TreeExplainer(booster, data=B, feature_perturbation="interventional", model_output="raw")
values = explainer.shap_values(X)
secs = time.time() - t
json.dump({"seconds": secs, "rows": n, "local": np.asarray(values).tolist(),
           "expected_value": float(np.ravel(explainer.expected_value)[0])}, open(out, "w"))
print(f"shap {shap.__version__} TreeExplainer: {n} rows in {secs:.2f} s")
