"""Deterministic Kernel SHAP benchmark data: an XGBoost model (binary:logistic) of TREES trees
of depth DEPTH over FEATURES features (default 13), trained on seeded synthetic data (saved with XGBoost's own
`save_model`, so shap's reference side loads the very same model), ROWS rows to explain and one
baseline row, and the analysis config for `driftwatch analyze`.

    python bench/gen_shap.py OUT_DIR [ROWS] [TREES] [DEPTH] [SEED] [FEATURES]

Needs numpy and xgboost (bench/run_shap installs them into bench/.venv).
"""
import json
import sys
from pathlib import Path

import numpy as np

out = Path(sys.argv[1])
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
trees = int(sys.argv[3]) if len(sys.argv) > 3 else 100
depth = int(sys.argv[4]) if len(sys.argv) > 4 else 6
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 5
P = int(sys.argv[6]) if len(sys.argv) > 6 else 13
rng = np.random.default_rng(seed)
out.mkdir(parents=True, exist_ok=True)

import xgboost as xgb

names = ["A_AGE", "A_FTLF", "A_HGA", "A_HSCOL", "A_MARITL", "A_SEX", "A_UNMEM", "A_USLHRS",
         "NOEMP", "PENATVTY", "PRCITSHP", "SEOTR", "WKSWORK"][:P]
names += [f"X{j}" for j in range(len(names), P)]
T = rng.normal(0, 1, (20000, P))
logit = T[:, 0] - 0.7 * T[:, 1] + 0.5 * T[:, 2] * T[:, 3] + 0.3 * np.sin(3 * T[:, 4]) + 0.2 * T[:, 5:].sum(axis=1)
yt = (rng.uniform(size=len(T)) < 1 / (1 + np.exp(-logit))).astype(int)
booster = xgb.train({"objective": "binary:logistic", "max_depth": depth, "eta": 0.1, "seed": seed,
                     "base_score": 0.5}, xgb.DMatrix(T, label=yt, feature_names=names), num_boost_round=trees)
booster.save_model(str(out / "model.json"))
X = np.round(rng.normal(0, 1, (rows, P)), 4)
(out / "rows.csv").write_text(",".join(names) + "\n" + "\n".join(",".join(f"{v:.4f}" for v in r) for r in X) + "\n")
cfg = {"dataset_type": "text/csv",
       "methods": {"shap": {"baseline": [[0.0] * P], "agg_method": "mean_abs", "use_logit": False,
                            "save_local_shap_values": False, "seed": 7}},
       "driftwatch": {"model": "model.json"}}
(out / "shap.config.json").write_text(json.dumps(cfg))
# The same, by driftwatch's exact TreeSHAP (bench/run_tree_shap), local values saved to compare.
tree = json.loads(json.dumps(cfg))
tree["driftwatch"]["shap_algorithm"] = "tree"
tree["methods"]["shap"]["save_local_shap_values"] = True
(out / "shap_tree.config.json").write_text(json.dumps(tree))
# Kernel SHAP writing the same outputs as the TreeSHAP config (local values too), so
# bench/run_tree_shap compares like with like.
kernel_local = json.loads(json.dumps(cfg))
kernel_local["methods"]["shap"]["save_local_shap_values"] = True
(out / "shap_kernel_local.config.json").write_text(json.dumps(kernel_local))
# ... and with every coalition enumerated (2^13 - 2) in log-odds: with one baseline row these
# are the exact Shapley values of the margin, TreeSHAP's values (bench/run_tree_shap compares
# them), by enumeration.
kernel_exact = json.loads(json.dumps(kernel_local))
kernel_exact["methods"]["shap"]["num_samples"] = 2 ** P - 2
kernel_exact["methods"]["shap"]["use_logit"] = True
(out / "shap_kernel_exact.config.json").write_text(json.dumps(kernel_exact))
print(f"{rows} rows, {trees} trees of depth {depth} under {out}")
