"""The reference side of bench/run_time_series: timewise chronological asymmetric Shapley
values the plain way — per item, the T + 1 prefix coalitions sent to the same endpoint in one
request (urllib), φ_t = v({1..t}) − v({1..t−1}) — then compared with driftwatch's out.jsonl
to 1e-9 (and efficiency checked). Prints the time of its own work.

    python3 bench/ref_time_series.py DATA_DIR SERVER_URL [DRIFTWATCH_OUT_JSONL]
"""
import json
import sys
import time
import urllib.request

data, url = sys.argv[1], sys.argv[2]
check = sys.argv[3] if len(sys.argv) > 3 else None
start = time.time()
doc = json.load(open(f"{data}/dataset.json"))
requests = 0
lines = {}
for it in doc:
    ts = it["timeseries"]
    target = [r["demand"] for r in ts if "demand" in r]
    price = [r["price"] for r in ts]
    steps = len(ts)
    records = []
    for k in range(steps + 1):
        tgt = [target[t] if t < k else 0.0 for t in range(len(target))]
        rel = [price[t] if t < k else 0.0 for t in range(steps)]
        records.append({"start": ts[0]["timestamp"], "target": tgt, "dynamic_feat": [rel], "cat": [it["store"]]})
    body = json.dumps({"instances": records}).encode()
    req = urllib.request.Request(f"{url}/endpoints/forecaster/invocations", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        preds = [p["mean"] for p in json.load(r)["predictions"]]
    requests += 1
    scores = [[a - b for a, b in zip(preds[t + 1], preds[t])] for t in range(steps)]
    lines[it["id"]] = (preds[0], scores, preds[-1])
elapsed = time.time() - start
print(f"{elapsed:.2f} {requests}")
if check:
    worst = 0.0
    n = 0
    for line in open(check):
        v = json.loads(line)
        offset, scores, full = lines[v["item_id"]]
        got = [e["scores"] for e in v["explanations"]]
        for a, b in zip(v["offset"], offset):
            worst = max(worst, abs(a - b))
        for ga, ra in zip(got, scores):
            for a, b in zip(ga, ra):
                worst = max(worst, abs(a - b))
        total = [o + sum(s[h] for s in got) for h, o in enumerate(v["offset"])]
        for a, b in zip(total, full):
            worst = max(worst, abs(a - b))
        n += 1
    assert n == len(lines), (n, len(lines))
    assert worst < 1e-9, worst
    print(f"agreement: {n} items, max |diff| {worst:.2e} (scores, offsets, efficiency)", file=sys.stderr)
