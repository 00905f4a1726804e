"""The reference side of bench/run_image: per image scikit-image's slic (Clarify's call) and
shap's KernelExplainer over the segments (x = 1_M, background 0_M, nsamples "auto" =
2M + 2048), the masked images sent to the same endpoint as NumPy batches under the payload
limit (urllib, one request at a time). Checks every label map equals driftwatch's and
prints: seconds, requests, masked images, and the worst efficiency gap of driftwatch's values.

    python bench/ref_image.py DATA_DIR SERVER_URL DRIFTWATCH_OUT
"""
import io
import json
import os
import sys
import time
import urllib.request

import numpy as np
import shap
from PIL import Image
from skimage.segmentation import slic

data, url, dw_out = sys.argv[1], sys.argv[2], sys.argv[3]
LIMIT = 6 * 1024 * 1024 * 9 // 10
requests = 0
masked = 0


def post(batch):
    global requests
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(batch, dtype=np.uint8))
    req = urllib.request.Request(f"{url}/endpoints/vision/invocations", data=buf.getvalue(),
                                 headers={"Content-Type": "application/x-npy"})
    with urllib.request.urlopen(req) as r:
        out = json.load(r)
    requests += 1
    return np.asarray(out, dtype=np.float64).reshape(len(batch), -1)


start = time.time()
base = np.asarray(Image.open(os.path.join(data, "baseline.png")).convert("RGB"))
names = sorted(os.listdir(os.path.join(data, "images")))
label_maps_equal = 0
for name in names:
    img = np.asarray(Image.open(os.path.join(data, "images", name)).convert("RGB"))
    labels = slic(img, n_segments=20, compactness=5)
    m = int(labels.max())

    def f(z):
        global masked
        per = max(LIMIT // img.nbytes, 1)
        out = []
        for k in range(0, len(z), per):
            batch = [np.where(zz[labels - 1][..., None] > 0.5, img, base) for zz in z[k:k + per]]
            masked += len(batch)
            out.append(post(np.stack(batch)))
        return np.concatenate(out)

    e = shap.KernelExplainer(f, np.zeros((1, m)))
    e.shap_values(np.ones((1, m)), silent=True)
    dw = json.load(open(os.path.join(dw_out, "explanations_shap", name[:-4] + ".json")))
    label_maps_equal += dw["segments"] == labels.tolist()
elapsed = time.time() - start
worst = 0.0
for name in names:
    dw = json.load(open(os.path.join(dw_out, "explanations_shap", name[:-4] + ".json")))
    for label, phi in dw["attributions"].items():
        gap = dw["prediction"][label] - dw["expected_value"][label]
        worst = max(worst, abs(sum(phi) - gap))
print(f"{elapsed:.2f} {requests} {masked} {label_maps_equal}/{len(names)} {worst:.2e}")
