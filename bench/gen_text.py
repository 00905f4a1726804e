"""Writes N product reviews of about 20 tokens (seeded), an SDK-shaped analysis config (token
units, English, baseline "[MASK]", two labels) for bench/run_text.

    python bench/gen_text.py N OUT_DIR
"""
import csv
import json
import os
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
OPEN = ["I", "We", "My sister", "The kids", "Honestly I", "Overall we"]
VERBS = ["love", "hate", "really like", "can't stand", "enjoyed", "returned"]
THINGS = ["this dress", "the fabric", "these shoes", "the colour", "its fit", "the price"]
TAILS = ["it's great!", "not bad at all.", "awful, just awful...", "would buy again.",
         "fun to wear, nice and soft.", "boring but fine?", "poor stitching, broken zip.",
         "excellent value, good quality.", "never again!", "so-so, I guess."]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "dataset.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    for i in range(n):
        text = f"{rng.choice(OPEN)} {rng.choice(VERBS)} {rng.choice(THINGS)}, {rng.choice(TAILS)} {rng.choice(TAILS)}"
        w.writerow([rng.randint(0, 1), text])
cfg = {
    "dataset_type": "text/csv",
    "headers": ["Rating", "Review Text"],
    "label": "Rating",
    "predictor": {"endpoint_name": "text", "content_type": "text/csv", "accept_type": "text/csv",
                  "label_headers": ["negative", "positive"]},
    "methods": {
        "report": {"name": "report", "title": "Analysis Report"},
        "shap": {"use_logit": False, "save_local_shap_values": True, "baseline": [["[MASK]"]],
                 "text_config": {"granularity": "token", "language": "english"}},
    },
}
with open(os.path.join(out, "analysis_config.json"), "w") as f:
    json.dump(cfg, f, indent=2)
