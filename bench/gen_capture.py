"""Deterministic capture-window benchmark data in SageMaker's layouts: RECORDS captured
invocations (CSV payloads, 13 features, a score) spread over FILES capture files across the 24
hour folders of 2024-01-19, and a ground-truth label for each in 100 files.

    python bench/gen_capture.py RECORDS FILES OUT_DIR [SEED]

Writes OUT_DIR/capture/bench-ep/AllTraffic/2024/01/19/HH/*.jsonl, OUT_DIR/truth/2024/01/19/HH/
*.jsonl, the analysis configs and OUT_DIR/schedules.yaml (a daily schedule at 00:00 whose
2024-01-20T00:00:00Z execution reads the whole day).
"""
import json
import sys
from pathlib import Path

import numpy as np

records, files, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 11
rng = np.random.default_rng(seed)

sex = rng.integers(0, 2, records)
group = rng.integers(0, 16, records)
x = np.round(rng.normal(0, 1, (records, 11)), 5)
logit = x[:, 0] - 0.5 * x[:, 1] + 0.3 * (group - 8) / 8 - 0.4 * sex
p = 1 / (1 + np.exp(-logit))
label = (rng.uniform(size=records) < p).astype(np.int64)
score = np.round(np.clip(p + rng.normal(0, 0.1, records), 0.0005, 0.9995), 5)
seconds = np.sort(rng.integers(0, 86400, records))

cols = [sex.astype(str), group.astype(str)] + [np.char.mod("%.5f", x[:, i]) for i in range(11)]
rows = cols[0]
for c in cols[1:]:
    rows = np.char.add(np.char.add(rows, ","), c)
scores = np.char.mod("%.5f", score)

per_file = -(-records // files)
for f in range(files):
    lo, hi = f * per_file, min(records, (f + 1) * per_file)
    if lo >= hi:
        break
    hour = seconds[lo] // 3600
    d = out / "capture" / "bench-ep" / "AllTraffic" / "2024" / "01" / "19" / f"{hour:02d}"
    d.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(lo, hi):
        s = int(seconds[i])
        t = f"2024-01-19T{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}Z"
        lines.append(
            '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"'
            + rows[i] + '\\n","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"'
            + scores[i] + '","encoding":"CSV"}},"eventMetadata":{"eventId":"ev-' + str(i)
            + '","inferenceTime":"' + t + '"},"eventVersion":"0"}')
    (d / f"{f:05d}.jsonl").write_text("\n".join(lines) + "\n")

truth_files = 100
per_truth = -(-records // truth_files)
for f in range(truth_files):
    lo, hi = f * per_truth, min(records, (f + 1) * per_truth)
    if lo >= hi:
        break
    hour = seconds[hi - 1] // 3600
    d = out / "truth" / "2024" / "01" / "19" / f"{hour:02d}"
    d.mkdir(parents=True, exist_ok=True)
    lines = ['{"groundTruthData":{"data":"' + str(label[i]) + '","encoding":"CSV"},"eventMetadata":{"eventId":"ev-'
             + str(i) + '"},"eventVersion":"0"}' for i in range(lo, hi)]
    (d / f"gt-{f:03d}.jsonl").write_text("\n".join(lines) + "\n")

headers = ["sex", "group"] + [f"f{i}" for i in range(11)] + ["label"]
base = {
    "dataset_type": "text/csv",
    "headers": headers,
    "label": "label",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
    "group_variable": "group",
    "driftwatch": {"label_type": "categorical", "facet_types": {"sex": "categorical"}},
}
post = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"]
metrics = dict(base, methods={"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": post}})
full = dict(base, methods={"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}})
(out / "capture_metrics.config.json").write_text(json.dumps(metrics, indent=1))
(out / "capture_all.config.json").write_text(json.dumps(full, indent=1))
for name, cfg in [("metrics", "capture_metrics.config.json"), ("all", "capture_all.config.json")]:
    (out / f"schedules_{name}.yaml").write_text(f"""schedules:
  - name: bench-bias
    type: model_bias
    endpoint: bench-ep
    cadence: {{daily: {{hour: 0}}}}
    data_capture: capture
    ground_truth: truth
    output: output-{name}
    analysis_config: {cfg}
    max_runtime: 1h
""")
print(f"{records} records in {files} capture files under {out}")
