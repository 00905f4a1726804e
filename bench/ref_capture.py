"""The reference side of a whole bias execution: what a Python monitoring job does with the
same capture window — read every capture and ground-truth JSONL file, decode the CSV payloads,
merge by event id with pandas, binarize the score at 0.5, then smclarify 0.5's bias_report
(pre- and post-training, the metrics of the config).

    python bench/ref_capture.py DATA_DIR CONFIG OUT.json
"""
import json
import pathlib
import sys

import pandas as pd
from smclarify.bias import report

data, cfg_path, out_path = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
cfg = json.load(open(cfg_path))
headers = cfg["headers"]
features = headers[:-1]

ids, rows, scores = [], [], []
for f in sorted((data / "capture").rglob("*.jsonl")):
    for line in f.open():
        if not line.strip():
            continue
        r = json.loads(line)
        cap = r["captureData"]
        ids.append(r["eventMetadata"].get("inferenceId") or r["eventMetadata"]["eventId"])
        rows.append([float(x) for x in cap["endpointInput"]["data"].strip().split(",")])
        scores.append(float(cap["endpointOutput"]["data"]))
capture = pd.DataFrame(rows, columns=features)
capture["id"] = ids
capture["score"] = scores

tids, labels = [], []
for f in sorted((data / "truth").rglob("*.jsonl")):
    for line in f.open():
        if not line.strip():
            continue
        r = json.loads(line)
        tids.append(r["eventMetadata"]["eventId"])
        labels.append(int(r["groundTruthData"]["data"]))
truth = pd.DataFrame({"id": tids, cfg["label"]: labels}).drop_duplicates("id", keep="last")

df = capture.merge(truth, on="id", how="inner").drop(columns=["id"])
df["pred"] = (df["score"] > 0.5).astype(int)
df = df.drop(columns=["score"])
for col in ("sex", "group"):
    df[col] = df[col].astype(int)
label, values = cfg["label"], cfg["label_values_or_threshold"]
result = {}
for key, stage, method in [("pre_training_bias_metrics", report.StageType.PRE_TRAINING, "pre_training_bias"),
                           ("post_training_bias_metrics", report.StageType.POST_TRAINING, "post_training_bias")]:
    sel = cfg["methods"][method]["methods"]
    sel = ["all"] if sel == "all" else list(sel)
    facets = {}
    for facet in cfg["facet"]:
        pc = report.LabelColumn("pred", df["pred"], list(values)) if stage == report.StageType.POST_TRAINING else None
        facets[facet["name_or_index"]] = report.bias_report(
            df.copy(), report.FacetColumn(facet["name_or_index"], list(facet["value_or_threshold"])),
            report.LabelColumn(label, df[label], list(values)), stage, predicted_label_column=pc, metrics=sel,
            group_variable=df[cfg["group_variable"]])
    result[key] = {"label": label, "facets": facets}
json.dump({"merged": len(df), "analysis": result}, open(out_path, "w"), indent=1, default=str)
