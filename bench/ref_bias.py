"""The reference side of the bias benchmark: smclarify 0.5's bias_report on the same CSV and
analysis config, the way the Clarify container calls it (pandas read_csv; the score column
binarized with probability_threshold; one report per facet and stage).

    python bench/ref_bias.py DATASET CONFIG OUT.json
"""
import json
import sys

import pandas as pd
from smclarify.bias import report

data_path, cfg_path, out_path = sys.argv[1:4]
cfg = json.load(open(cfg_path))
df = pd.read_csv(data_path)
pred = cfg.get("predicted_label")
if pred is not None:
    df[pred] = (df[pred] > cfg.get("probability_threshold", 0.5)).astype(int)
label, values = cfg["label"], cfg["label_values_or_threshold"]
result = {}
for key, stage, method in [("pre_training_bias_metrics", report.StageType.PRE_TRAINING, "pre_training_bias"),
                           ("post_training_bias_metrics", report.StageType.POST_TRAINING, "post_training_bias")]:
    if method not in cfg["methods"]:
        continue
    sel = cfg["methods"][method]["methods"]
    sel = ["all"] if sel == "all" else list(sel)
    facets = {}
    for facet in cfg["facet"]:
        pc = report.LabelColumn(pred, df[pred], list(values)) if stage == report.StageType.POST_TRAINING else None
        facets[facet["name_or_index"]] = report.bias_report(
            df.copy(), report.FacetColumn(facet["name_or_index"], list(facet.get("value_or_threshold") or []) or None),
            report.LabelColumn(label, df[label], list(values)), stage, predicted_label_column=pc, metrics=sel,
            group_variable=df[cfg["group_variable"]] if "group_variable" in cfg else None)
    result[key] = {"label": label, "facets": facets}
json.dump(result, open(out_path, "w"), indent=1)
