"""Golden partial dependence for driftwatch's `methods.pdp`, computed by scikit-learn's
`partial_dependence` (method="brute", kind="average") on driftwatch's documented grid.

Run in a throwaway virtualenv:
    python3 -m venv /tmp/gold && /tmp/gold/bin/pip install scikit-learn xgboost pandas
    /tmp/gold/bin/python tests/golden/make_pdp_golden.py

Writes tests/fixtures/golden/pdp/: the logistic model fitted here (driftwatch's linear-model
JSON), the PDP analysis configs, and the expected `explanations.pdp` for the census XGBoost
model (demo/model/census-xgb.json) and for the logistic model, on tests/fixtures/sdk/census.csv.
Only data is committed.
"""

import json
import os

import numpy as np
import pandas as pd
import xgboost
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.inspection import partial_dependence
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "tests", "fixtures", "golden", "pdp")
FEATURES = [
    "A_AGE", "A_FTLF", "A_HGA", "A_HSCOL", "A_MARITL", "A_SEX", "A_UNMEM", "A_USLHRS",
    "NOEMP", "PENATVTY", "PRCITSHP", "SEOTR", "WKSWORK",
]
LABEL = "PTOTVAL_Over50000"
PLOTTED = ["A_AGE", "WKSWORK", "A_SEX", "A_HGA", "A_USLHRS"]


def grid(values, resolution):
    """driftwatch's grid: distinct whole values (≤ resolution of them) are categories;
    otherwise the centres of `resolution` equal buckets over [min, max]."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    distinct = np.unique(v)
    if np.all(np.mod(v, 1) == 0) and len(distinct) <= max(resolution, 1):
        dist = [float(np.sum(v == d)) / len(v) for d in distinct]
        return "categorical", [float(d) for d in distinct], dist
    lo, hi = float(distinct[0]), float(distinct[-1])
    k = max(resolution, 1)
    width = (hi - lo) / k
    centres = [lo + width * (i + 0.5) for i in range(k)]
    counts = [0] * k
    for x in v:
        b = min(int((x - lo) / width), k - 1) if width > 0 else 0
        counts[b] += 1
    return "numerical", centres, [c / len(v) for c in counts]


class Booster(ClassifierMixin, BaseEstimator):
    """The census XGBoost model as a scikit-learn classifier; its float32 scores are
    returned as float64 so that the averages are taken in double precision."""

    def __init__(self, path=None):
        self.path = path

    def fit(self, X, y=None):
        self.booster_ = xgboost.Booster()
        self.booster_.load_model(self.path)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = self.booster_.predict(xgboost.DMatrix(np.asarray(X, dtype=np.float32)))
        p = p.astype(np.float64)
        return np.column_stack([1.0 - p, p])


def expected(model, X, resolution):
    out = []
    for name in PLOTTED:
        j = FEATURES.index(name)
        data_type, values, dist = grid(X[:, j], resolution)
        pd_ = partial_dependence(
            model,
            X,
            [j],
            custom_values={j: np.array(values)},
            method="brute",
            kind="average",
            response_method="predict_proba",
        )
        out.append(
            {
                "feature_name": name,
                "data_type": data_type,
                "feature_values": values,
                "model_predictions": [list(map(float, pd_["average"][0]))],
                "data_distribution": dist,
            }
        )
    return out


def config(model_file, resolution):
    return {
        "dataset_type": "text/csv",
        "headers": ["id"] + FEATURES + [LABEL, "prediction"],
        "label": LABEL,
        "excluded_columns": ["id", "prediction"],
        "predictor": {"endpoint_name": "census-shadow", "content_type": "text/csv", "accept_type": "text/csv"},
        "methods": {"pdp": {"features": PLOTTED, "grid_resolution": resolution}},
        "driftwatch": {"model": model_file},
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    data = pd.read_csv(os.path.join(ROOT, "tests", "fixtures", "sdk", "census.csv"))
    X = data[FEATURES].to_numpy(dtype=np.float64)
    y = data[LABEL].to_numpy()
    xgb = Booster(os.path.join(ROOT, "demo", "model", "census-xgb.json")).fit(X)
    logistic = LogisticRegression(max_iter=5000).fit(X, y)
    with open(os.path.join(OUT, "logistic.json"), "w") as f:
        json.dump(
            {
                "type": "logistic",
                "coef": list(map(float, logistic.coef_[0])),
                "intercept": float(logistic.intercept_[0]),
                "feature_names": FEATURES,
            },
            f,
            indent=1,
        )
    cases = {
        "xgb": (xgb, "../../../../demo/model/census-xgb.json", 15),
        "logistic": (logistic, "logistic.json", 10),
    }
    for name, (model, model_file, resolution) in cases.items():
        with open(os.path.join(OUT, f"{name}.config.json"), "w") as f:
            json.dump(config(model_file, resolution), f, indent=1)
        with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
            json.dump({"pdp": expected(model, X, resolution)}, f, indent=1)


if __name__ == "__main__":
    main()
