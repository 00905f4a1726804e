"""The reference side of bench/run_text: per record spaCy's units (spacy.blank("en") tokens,
whitespace left out, as Clarify's token granularity) and shap's KernelExplainer over them
(x = 1_M, background 0_M, nsamples "auto" = 2M + 2048), each absent unit replaced by the
baseline string, the masked texts sent to the same endpoint as CSV batches under the payload
limit (urllib, one request at a time). Checks the units equal driftwatch's (out.jsonl) and
prints: seconds, requests, records scored, units identical, .

    python bench/ref_text.py DATA_DIR SERVER_URL DRIFTWATCH_OUT
"""
import csv
import json
import os
import sys
import time
import urllib.request

import numpy as np
import shap
import spacy

data, url, dw_out = sys.argv[1], sys.argv[2], sys.argv[3]
LIMIT = 6 * 1024 * 1024 * 8 // 10
requests = 0
scored = 0


def quote(t):
    return '"' + t.replace('"', '""') + '"'


def post(texts):
    global requests, scored
    out = []
    start = 0
    while start < len(texts):
        size, end = 0, start
        while end < len(texts) and size + len(texts[end]) + 3 < LIMIT:
            size += len(texts[end].encode()) + 3
            end += 1
        body = "\n".join(quote(t) for t in texts[start:end]).encode()
        req = urllib.request.Request(f"{url}/endpoints/text/invocations", data=body,
                                     headers={"Content-Type": "text/csv", "Accept": "text/csv"})
        with urllib.request.urlopen(req) as r:
            for line in r.read().decode().splitlines():
                out.append([float(x) for x in line.split(",")])
        requests += 1
        scored += end - start
        start = end
    return np.asarray(out)


start = time.time()
nlp = spacy.blank("en")
with open(os.path.join(data, "dataset.csv")) as f:
    rows = list(csv.reader(f))
units_equal = 0
for row in rows:
    text = row[1]
    units = [(t.idx, t.text) for t in nlp(text) if not t.is_space]
    m = len(units)

    def f(z):
        texts = []
        for mask in z:
            parts, at = [], 0
            for (idx, u), keep in zip(units, mask):
                parts.append(text[at:idx])
                parts.append(u if keep > 0.5 else "[MASK]")
                at = idx + len(u)
            parts.append(text[at:])
            texts.append("".join(parts))
        return post(texts)

    explainer = shap.KernelExplainer(f, np.zeros((1, m)))
    explainer.shap_values(np.ones((1, m)), silent=True)
elapsed = time.time() - start

with open(os.path.join(dw_out, "explanations_shap", "out.jsonl")) as f:
    for row, line in zip(rows, f):
        rec = json.loads(line)
        attrs = rec["explanations"][0]["attributions"]
        got = [(a["description"]["start_idx"], a["description"]["partial_text"]) for a in attrs]
        want = [(t.idx, t.text) for t in nlp(row[1]) if not t.is_space]
        units_equal += got == want
print(f"{elapsed:.3f} {requests} {scored} {units_equal}/{len(rows)}")
