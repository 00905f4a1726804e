"""A forecasting dataset for bench/run_time_series: ITEMS items of STEPS timestamps (the last
HORIZON of them future rows without a target), one related series and one static covariate,
in the SDK's item_records layout, with the analysis config that explains it timewise.

    python3 bench/gen_time_series.py ITEMS STEPS OUT_DIR
"""
import json
import os
import random
import sys

items, steps, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
future = 3
rng = random.Random(52)
os.makedirs(out, exist_ok=True)
doc = []
for i in range(items):
    series = []
    level = rng.uniform(5, 50)
    for t in range(steps):
        row = {"timestamp": f"2024-W{t:02d}" if False else f"2024-01-01 {t // 60:02d}:{t % 60:02d}:00",
               "price": round(rng.uniform(0.5, 1.5), 3)}
        if t < steps - future:
            row["demand"] = round(level * (1 + 0.1 * rng.gauss(0, 1)), 3)
        series.append(row)
    doc.append({"id": f"item_{i:04d}", "store": rng.randint(1, 5), "timeseries": series})
with open(os.path.join(out, "dataset.json"), "w") as f:
    json.dump(doc, f)
config = {
    "dataset_type": "application/json",
    "time_series_data_config": {
        "item_id": "[*].id", "timestamp": "[*].timeseries[].timestamp",
        "target_time_series": "[*].timeseries[].demand",
        "related_time_series": ["[*].timeseries[].price"], "static_covariates": ["[*].store"],
        "dataset_format": "item_records"},
    "methods": {"asymmetric_shapley_value": {"direction": "chronological", "granularity": "timewise"},
                "report": {"name": "report"}},
    "predictor": {"endpoint_name": "forecaster", "content_type": "application/json",
                  "accept_type": "application/json", "content_template": '{"instances": $records}',
                  "record_template": '{"start": $start_time, "target": $target_time_series, "dynamic_feat": $related_time_series, "cat": $static_covariates}',
                  "time_series_predictor_config": {"forecast": "predictions[*].mean"}},
}
with open(os.path.join(out, "analysis_config.json"), "w") as f:
    json.dump(config, f, indent=1)
