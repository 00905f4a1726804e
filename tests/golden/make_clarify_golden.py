"""Makes golden bias-metric cases with smclarify 0.5 (the library behind SageMaker Clarify).

Run with a virtualenv holding smclarify==0.5, pandas<3, numpy<2, scikit-learn, pyarrow<17:
    python tests/golden/make_clarify_golden.py tests/fixtures/golden
Only the data and the expected outputs it writes are committed, never smclarify.

Each case: NAME.csv, NAME.config.json (a Clarify analysis config), NAME.expected.json
(analysis.json shape; +-inf as "value": null with a "note", as in the shared fixtures).
smclarify's bias_report is called per facet and stage the way the Clarify container does:
the frame minus excluded columns, the label/predicted-label columns, and for a score column
the score binarized with probability_threshold (score > threshold).
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from smclarify.bias import report

out_dir = Path(sys.argv[1])
out_dir.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261122)


def frame(n):
    sex = rng.choice(["M", "F"], size=n, p=[0.6, 0.4])
    race = rng.choice(["w", "b", "a", "o"], size=n, p=[0.5, 0.2, 0.2, 0.1])
    age = rng.integers(18, 80, size=n)
    x1 = np.round(rng.normal(0, 1, size=n), 6)
    x2 = np.round(rng.uniform(0, 10, size=n), 6)
    group = rng.integers(0, 8, size=n)
    logit = 0.8 * x1 - 0.1 * x2 + 0.02 * (age - 45) + np.where(sex == "F", -0.5, 0.3)
    p = 1 / (1 + np.exp(-logit))
    label = (rng.uniform(size=n) < p).astype(int)
    score = np.round(np.clip(p + rng.normal(0, 0.15, size=n), 0.001, 0.999), 6)
    income = np.round(np.exp(10 + 0.5 * x1 + rng.normal(0, 0.5, size=n)), 2)
    job = rng.choice(["a", "b", "c"], size=n)
    return pd.DataFrame(dict(sex=sex, race=race, age=age, x1=x1, x2=x2, group=group,
                             label=label, score=score, income=income, job=job))


def note_inf(obj):
    if isinstance(obj, dict):
        out = {k: note_inf(v) for k, v in obj.items()}
        v = obj.get("value")
        if isinstance(v, str) and v in ("Infinity", "-Infinity"):
            out["value"] = None
            out["note"] = v
        return out
    if isinstance(obj, list):
        return [note_inf(x) for x in obj]
    return obj


def run_case(name, df, cfg):
    df.to_csv(out_dir / f"{name}.csv", index=False)
    (out_dir / f"{name}.config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    compute(name, pd.read_csv(out_dir / f"{name}.csv"), cfg)


def run_parquet_case(name, df, cfg):
    """As run_case, the dataset written by pandas' to_parquet (pyarrow) and read back by
    read_parquet, as Clarify reads an application/x-parquet dataset."""
    df.to_parquet(out_dir / f"{name}.parquet")
    cfg = dict(cfg, dataset_type="application/x-parquet")
    (out_dir / f"{name}.config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    compute(name, pd.read_parquet(out_dir / f"{name}.parquet"), cfg)


def compute(name, data, cfg):
    result = report_of(data, cfg)
    (out_dir / f"{name}.expected.json").write_text(json.dumps(note_inf(result), indent=2) + "\n")
    print("wrote", name)


def report_of(data, cfg):
    excluded = list(cfg.get("excluded_columns", []))
    work = data.drop(columns=excluded)
    label = cfg["label"]
    values = cfg["label_values_or_threshold"]
    pred = cfg.get("predicted_label")
    if pred is not None and pred == "score":
        thr = cfg.get("probability_threshold", 0.5)
        work[pred] = (work[pred] > thr).astype(int)
    result = {"version": "1.0"}
    methods = cfg["methods"]
    for stage_key, stage, method in [
        ("pre_training_bias_metrics", report.StageType.PRE_TRAINING, "pre_training_bias"),
        ("post_training_bias_metrics", report.StageType.POST_TRAINING, "post_training_bias"),
    ]:
        if method not in methods:
            continue
        facets = {}
        selection = methods[method]["methods"]
        selection = ["all"] if selection == "all" else list(selection)
        for facet in cfg["facet"]:
            fname = facet["name_or_index"]
            fvalues = facet.get("value_or_threshold")
            group = work[cfg["group_variable"]] if "group_variable" in cfg else None
            pred_col = (report.LabelColumn(pred, work[pred], list(values))
                        if stage == report.StageType.POST_TRAINING else None)
            entries = report.bias_report(
                work.copy(), report.FacetColumn(fname, list(fvalues) if fvalues else None),
                report.LabelColumn(label, work[label], list(values)), stage,
                predicted_label_column=pred_col, metrics=selection, group_variable=group)
            facets.setdefault(fname, []).extend(entries)
        result[stage_key] = {
            "label": label, "facets": facets,
            "label_value_or_threshold": report.label_value_or_threshold(work[label], list(values)),
        }
    return result


df = frame(3000)
numeric = df.drop(columns=["sex", "race", "job"])

# Categorical, integer-as-categorical (age has < 5% distinct values) and one-vs-rest facets,
# a 0/1 label, predictions from a label column, a group variable; FT errors (string columns).
d1 = df.assign(pred=(df.score > 0.5).astype(int)).drop(columns=["score", "income"])
run_case("mixed_facets", d1, {
    "label": "label", "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]},
              {"name_or_index": "age", "value_or_threshold": [40]},
              {"name_or_index": "race"}],
    "group_variable": "group", "predicted_label": "pred",
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
})

# Numeric features only (FT computed), a continuous float facet with a threshold, a score
# column binarized by probability_threshold, a group variable.
d2 = numeric.drop(columns=["income"]).assign(sex=df.sex)
run_case("continuous_facet_scores", d2, {
    "label": "label", "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "x1", "value_or_threshold": [0.25]},
              {"name_or_index": "group", "value_or_threshold": [2, 5]}],
    "group_variable": "group", "predicted_label": "score", "probability_threshold": 0.6,
    "excluded_columns": ["sex"],
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
})

# A continuous label with a threshold, a small frame (FT with k = 1 and few rows in a).
d3 = numeric.head(60).assign(pred_income=np.round(numeric.head(60).income * rng.uniform(0.8, 1.2, 60), 2))
d3 = d3.drop(columns=["label", "score"])
d3.loc[d3.index[:50], "x2"] = 1.0
run_case("continuous_label_small", d3, {
    "label": "income", "label_values_or_threshold": [25000],
    "facet": [{"name_or_index": "x2", "value_or_threshold": [1.5]}],
    "predicted_label": "pred_income",
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
})

# A multi-class string label collapsed by two positive values; string facet values given as
# numbers in the config (smclarify converts them), only some metrics.
d4 = df[["job", "race", "age", "group"]].assign(facet_num=rng.integers(0, 3, size=3000))
run_case("multiclass_label_subset", d4, {
    "label": "job", "label_values_or_threshold": ["a", "b"],
    "facet": [{"name_or_index": "facet_num", "value_or_threshold": ["1"]},
              {"name_or_index": "race", "value_or_threshold": ["b", "o"]}],
    "group_variable": "age",
    "methods": {"pre_training_bias": {"methods": ["CI", "DPL", "KL", "CDDL"]}},
})

# Ages written as floats (40.0), as a client that serialises a float matrix writes them:
# pandas reads a float column, so smclarify takes the facet as continuous and [40] is the
# threshold (40.0, 79.0] although, as integers, its 62 values on 3,000 rows would be
# categorical. A 1/2 facet written as integers beside it stays categorical.
d5 = pd.DataFrame(dict(age=df.age.astype(float), sex=np.where(df.sex == "F", 2, 1),
                       x1=df.x1, label=df.label, score=df.score))
run_case("float_written_facet", d5, {
    "label": "label", "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "age", "value_or_threshold": [40]},
              {"name_or_index": "sex", "value_or_threshold": [2]}],
    "predicted_label": "score", "probability_threshold": 0.5,
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
})

# Parquet datasets as pandas writes them: the mixed-facets frame with a non-default index
# (pandas stores it as a __index_level_0__ column that read_parquet turns back into the
# index, so it is no column of the data), and a frame with floats, missing values and text.
d6 = d1.set_index(pd.Index([f"r{i}" for i in range(len(d1))]))
run_parquet_case("parquet_mixed_facets", d6, {
    "label": "label", "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]},
              {"name_or_index": "age", "value_or_threshold": [40]},
              {"name_or_index": "race"}],
    "group_variable": "group", "predicted_label": "pred",
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
})
d7 = d5.assign(job=df.job.where(rng.uniform(size=len(df)) > 0.1, None),
               x1=d5.x1.where(rng.uniform(size=len(df)) > 0.05))
run_parquet_case("parquet_floats_missing", d7, {
    "label": "label", "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "age", "value_or_threshold": [40]},
              {"name_or_index": "job", "value_or_threshold": ["a"]}],
    "predicted_label": "score", "probability_threshold": 0.5,
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
})
# Numeric features only (FT computed) and an integer index that is not a range: as a column
# it would change FT's neighbours; read_parquet makes it the index.
d8 = d2.set_index(pd.Index((np.arange(len(d2)) * 7919) % 100003, name="row_id"))
run_parquet_case("parquet_numeric_index", d8, {
    "label": "label", "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "x1", "value_or_threshold": [0.25]}],
    "predicted_label": "score", "probability_threshold": 0.6,
    "excluded_columns": ["sex"],
    "methods": {"post_training_bias": {"methods": ["FT", "DPPL"]}},
})

# The SDK's config with the facet and the predicted labels in datasets of their own
# (tests/fixtures/sdk/processing/bias_side_datasets.json, made by make_sdk_configs.py): the
# three files joined on the id as pandas merges them (inner, in the dataset's order), the id
# dropped (an identifier, used for nothing else).
sdk = Path(__file__).resolve().parent.parent / "fixtures" / "sdk"
side_cfg = json.loads((sdk / "processing" / "bias_side_datasets.json").read_text())
main = pd.read_csv(sdk / "census_no_sex.csv")
facets = pd.read_csv(sdk / "census_sex.csv", header=None, names=side_cfg["facet_headers"])
preds = pd.read_csv(sdk / "census_predictions.csv")
joined = main.merge(facets, on="id", how="inner").merge(preds, on="id", how="inner")
compute("side_datasets", joined.drop(columns=["id"]), side_cfg)

# The SDK's segment_config (bias_segments.json): each segment's rows analysed on their own by
# smclarify. Intervals in pandas' notation ("[18, 30]": both ends in), values matched as is.
seg_cfg = json.loads((sdk / "processing" / "bias_segments.json").read_text())
census = pd.read_csv(sdk / "census.csv")


def interval(text):
    lo, hi = text[1:-1].split(",")
    closed = {("[", "]"): "both", ("(", "]"): "right", ("[", ")"): "left", ("(", ")"): "neither"}
    return pd.Interval(float(lo), float(hi), closed=closed[(text[0], text[-1])])


segment_results = []
for sc in seg_cfg["segment_config"]:
    col = census[sc["name_or_index"]]
    masks = []
    for seg in sc["segments"]:
        if all(isinstance(v, str) and v[:1] in "[(" for v in seg):
            ivs = [interval(v) for v in seg]
            masks.append(col.apply(lambda x: any(x in iv for iv in ivs)))
        else:
            masks.append(col.isin(seg))
    rest = ~pd.concat(masks, axis=1).any(axis=1)
    aliases = sc.get("display_aliases") or []
    for i, mask in enumerate(masks + [rest]):
        name = aliases[i] if i < len(aliases) else (
            ",".join(str(v) for v in sc["segments"][i]) if i < len(masks) else "__default__")
        subset = census[mask].reset_index(drop=True)
        entry = {"column": sc["name_or_index"], "segment": name, "records": int(mask.sum())}
        if "config_name" in sc:
            entry["config_name"] = sc["config_name"]
        entry.update({k: v for k, v in report_of(subset, seg_cfg).items() if k != "version"})
        segment_results.append(entry)
(out_dir / "segments.expected.json").write_text(json.dumps(note_inf(segment_results), indent=2) + "\n")
print("wrote segments")

# The SageMaker SDK's own integration-test capture and ground truth (tests/fixtures/
# sdk_monitor): merged on eventId, the score over the test's probability threshold 0.5005 as
# the predicted label, the SDK's BiasAnalysisConfig (facet F2 over 20).
mon = Path(__file__).resolve().parent.parent / "fixtures" / "sdk_monitor"
rows = []
for line in (mon / "capture.jsonl").read_text().splitlines():
    r = json.loads(line)
    features = [int(v) for v in r["captureData"]["endpointInput"]["data"].split(",")]
    score = float(r["captureData"]["endpointOutput"]["data"])
    rows.append([r["eventMetadata"]["eventId"]] + features + [int(score > 0.5005)])
cap = pd.DataFrame(rows, columns=["id", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "pred"])
labels = pd.DataFrame(
    [[json.loads(l)["eventMetadata"]["eventId"], int(json.loads(l)["groundTruthData"]["data"])]
     for l in (mon / "actuals.jsonl").read_text().splitlines()],
    columns=["id", "Label"])
merged = cap.merge(labels, on="id", how="inner").drop(columns=["id"])
integ_cfg = json.loads((sdk / "monitor" / "bias_monitor_sdk_integ.json").read_text())
integ_cfg.update(predicted_label="pred", methods={"pre_training_bias": {"methods": "all"},
                                                  "post_training_bias": {"methods": "all"}})
compute("sdk_integ_capture", merged, integ_cfg)
