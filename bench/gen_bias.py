"""Deterministic bias-benchmark data: ROWS rows of 13 features (a 2-valued facet `sex`, a
16-valued group `group`, 11 continuous features), a binary label and a model score.

    python bench/gen_bias.py ROWS OUT_DIR [SEED]

Writes OUT_DIR/bias_ROWS.csv and the analysis configs the scenarios use.
"""
import json
import sys
from pathlib import Path

import numpy as np

rows, out = int(sys.argv[1]), Path(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(seed)

sex = rng.integers(0, 2, rows)
group = rng.integers(0, 16, rows)
x = np.round(rng.normal(0, 1, (rows, 11)), 5)
logit = x[:, 0] - 0.5 * x[:, 1] + 0.3 * (group - 8) / 8 - 0.4 * sex
p = 1 / (1 + np.exp(-logit))
label = (rng.uniform(size=rows) < p).astype(np.int64)
score = np.round(np.clip(p + rng.normal(0, 0.1, rows), 0.0005, 0.9995), 5)

path = out / f"bias_{rows}.csv"
header = ["sex", "group"] + [f"f{i}" for i in range(11)] + ["label", "score"]
cols = [sex.astype(str), group.astype(str)] + [np.char.mod("%.5f", x[:, i]) for i in range(11)] + [
    label.astype(str), np.char.mod("%.5f", score)]
with open(path, "w") as f:
    f.write(",".join(header) + "\n")
    block = 100_000
    for start in range(0, rows, block):
        stacked = np.stack([c[start:start + block] for c in cols], axis=1)
        f.write("\n".join(",".join(r) for r in stacked) + "\n")

post_no_ft = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"]
base = {"dataset_type": "text/csv", "label": "label", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}], "group_variable": "group",
        "predicted_label": "score", "probability_threshold": 0.5}
configs = {
    "metrics": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": post_no_ft}},
    "ft": {"post_training_bias": {"methods": ["FT"]}},
    "all": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
}
for name, methods in configs.items():
    (out / f"bias_{name}.config.json").write_text(json.dumps({**base, "methods": methods}, indent=2))
print(path)
