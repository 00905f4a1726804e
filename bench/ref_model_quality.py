"""The reference side of bench/run_model_quality: what a team does without a monitor — read the
window's capture and ground truth JSON lines with pandas, merge them on the event id, and
compute SageMaker's binary metrics with scikit-learn (confusion matrix, precision, recall,
accuracy, F0.5/F1/F2, ROC curve and AUC). Prints the metrics.

    python bench/ref_model_quality.py WINDOW_DIR
"""
import glob
import json
import sys

import pandas as pd
from sklearn import metrics

window = sys.argv[1]
capture = []
for path in sorted(glob.glob(f"{window}/capture/ep/AllTraffic/*/*/*/*/*.jsonl")):
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            capture.append((r["eventMetadata"]["eventId"], float(r["captureData"]["endpointOutput"]["data"])))
truth = []
for path in sorted(glob.glob(f"{window}/truth/*/*/*/*/*.jsonl")):
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            truth.append((r["eventMetadata"]["eventId"], int(r["groundTruthData"]["data"])))
df = pd.DataFrame(capture, columns=["id", "score"]).merge(
    pd.DataFrame(truth, columns=["id", "label"]), on="id")
y, s = df["label"].to_numpy(), df["score"].to_numpy()
pred = (s > 0.5).astype(int)
out = {
    "records": len(df),
    "confusion_matrix": metrics.confusion_matrix(y, pred).tolist(),
    "precision": metrics.precision_score(y, pred, zero_division=0),
    "recall": metrics.recall_score(y, pred, zero_division=0),
    "accuracy": metrics.accuracy_score(y, pred),
    "f0_5": metrics.fbeta_score(y, pred, beta=0.5, zero_division=0),
    "f1": metrics.f1_score(y, pred, zero_division=0),
    "f2": metrics.fbeta_score(y, pred, beta=2, zero_division=0),
    "auc": metrics.roc_auc_score(y, s),
}
fpr, tpr, _ = metrics.roc_curve(y, s, drop_intermediate=False)
out["roc_points"] = len(fpr)
print(json.dumps(out))
