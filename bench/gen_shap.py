"""Deterministic Kernel SHAP benchmark data: an XGBoost-format JSON model with TREES random
trees of depth DEPTH over 13 features (binary:logistic), ROWS rows to explain and one
baseline row, and the analysis config for `driftwatch analyze`.

    python bench/gen_shap.py OUT_DIR [ROWS] [TREES] [DEPTH] [SEED]

The trees are random (not trained): the in-process predictor walks them exactly as it walks a
trained model, which is what the timing measures.
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
P = 13
rng = np.random.default_rng(seed)
out.mkdir(parents=True, exist_ok=True)

def tree(tid):
    inner = 2 ** depth - 1
    n = 2 ** (depth + 1) - 1
    left, right, idx, cond, dleft, parents = [], [], [], [], [], []
    for i in range(n):
        if i < inner:
            left.append(2 * i + 1); right.append(2 * i + 2)
            idx.append(int(rng.integers(0, P))); cond.append(float(np.float32(rng.normal())))
        else:
            left.append(-1); right.append(-1); idx.append(0)
            cond.append(float(np.float32(rng.normal(0, 0.05))))
        dleft.append(int(rng.integers(0, 2)))
        parents.append(2147483647 if i == 0 else (i - 1) // 2)
    return {"base_weights": cond, "categories": [], "categories_nodes": [], "categories_segments": [],
            "categories_sizes": [], "default_left": dleft, "id": tid, "left_children": left,
            "loss_changes": [0.0] * n, "parents": parents, "right_children": right,
            "split_conditions": cond, "split_indices": idx, "split_type": [0] * n,
            "sum_hessian": [1.0] * n, "tree_param": {"num_deleted": "0", "num_feature": str(P),
            "num_nodes": str(n), "size_leaf_vector": "1"}}

names = ["A_AGE", "A_FTLF", "A_HGA", "A_HSCOL", "A_MARITL", "A_SEX", "A_UNMEM", "A_USLHRS",
         "NOEMP", "PENATVTY", "PRCITSHP", "SEOTR", "WKSWORK"]
model = {"learner": {"attributes": {}, "feature_names": names, "feature_types": ["float"] * P,
         "gradient_booster": {"model": {"cats": {}, "gbtree_model_param": {"num_parallel_tree": "1", "num_trees": str(trees)},
                                        "iteration_indptr": list(range(trees + 1)), "tree_info": [0] * trees,
                                        "trees": [tree(t) for t in range(trees)]}, "name": "gbtree"},
         "learner_model_param": {"base_score": "[5E-1]", "boost_from_average": "0", "num_class": "0",
                                 "num_feature": str(P), "num_target": "1"},
         "objective": {"name": "binary:logistic", "reg_loss_param": {"scale_pos_weight": "1"}}},
         "version": [3, 0, 0]}
(out / "model.json").write_text(json.dumps(model))
X = np.round(rng.normal(0, 1, (rows, P)), 4)
(out / "rows.csv").write_text(",".join(names) + "\n" + "\n".join(",".join(f"{v:.4f}" for v in r) for r in X) + "\n")
cfg = {"dataset_type": "text/csv",
       "methods": {"shap": {"baseline": [[0.0] * P], "agg_method": "mean_abs", "use_logit": False,
                            "save_local_shap_values": False, "seed": 7}},
       "driftwatch": {"model": "model.json"}}
(out / "shap.config.json").write_text(json.dumps(cfg))
print(f"{rows} rows, {trees} trees of depth {depth} under {out}")
