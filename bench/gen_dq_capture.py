"""A data-quality monitoring window: the rows of a bench/gen_data_quality.py dataset as SageMaker
capture lines (the first column the response, the other 19 the CSV request), FILES objects in
one hour folder, the baseline from the same dataset's header. Deterministic.

    python bench/gen_dq_capture.py DATASET.csv FILES OUT_DIR
"""
import json
import os
import sys

data, files, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(data) as f:
    f.readline()
    rows = [line.rstrip("\n") for line in f]
hour = os.path.join(out, "capture/ep/AllTraffic/2024/01/19/11")
os.makedirs(hour, exist_ok=True)
per = -(-len(rows) // files)
for n in range(files):
    with open(os.path.join(hour, f"part-{n:04d}.jsonl"), "w") as f:
        for i in range(n * per, min(len(rows), (n + 1) * per)):
            first, rest = rows[i].split(",", 1)
            line = {
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                      "data": rest, "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                       "data": first, "encoding": "CSV"},
                },
                "eventMetadata": {"eventId": f"e{i}",
                                  "inferenceTime": f"2024-01-19T11:{(i // 60) % 60:02d}:{i % 60:02d}Z"},
                "eventVersion": "0",
            }
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
