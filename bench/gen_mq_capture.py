"""A model-quality monitoring window: ROWS binary-classification invocations (a 5-feature CSV
request, the score as the CSV response) in FILES capture objects of one hour, and their ground
truth (labels drawn from the scores: a calibrated model) in one hour folder. Deterministic.
Also writes the merged rows as a CSV for the reference side (bench/ref_model_quality.py reads
the capture and ground truth files themselves, as a pandas user would).

    python bench/gen_mq_capture.py ROWS FILES OUT_DIR
"""
import json
import os
import random
import sys

rows, files, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(0)
hour = os.path.join(out, "capture/ep/AllTraffic/2024/01/19/11")
truth = os.path.join(out, "truth/2024/01/19/11")
os.makedirs(hour, exist_ok=True)
os.makedirs(truth, exist_ok=True)
per = -(-rows // files)
with open(os.path.join(truth, "labels.jsonl"), "w") as t:
    for n in range(files):
        with open(os.path.join(hour, f"part-{n:04d}.jsonl"), "w") as f:
            for i in range(n * per, min(rows, (n + 1) * per)):
                p = round(rng.random() ** 1.5, 4)
                y = 1 if rng.random() < p else 0
                features = ",".join(str(rng.randint(0, 99)) for _ in range(5))
                line = {
                    "captureData": {
                        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                          "data": features, "encoding": "CSV"},
                        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                           "data": str(p), "encoding": "CSV"},
                    },
                    "eventMetadata": {"eventId": f"e{i}",
                                      "inferenceTime": f"2024-01-19T11:{(i // 60) % 60:02d}:{i % 60:02d}Z"},
                    "eventVersion": "0",
                }
                f.write(json.dumps(line, separators=(",", ":")) + "\n")
                t.write(json.dumps({"groundTruthData": {"data": str(y), "encoding": "CSV"},
                                    "eventMetadata": {"eventId": f"e{i}"}, "eventVersion": "0"},
                                   separators=(",", ":")) + "\n")
