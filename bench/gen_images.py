"""Bench data for bench/run_image: N photographs of SIZE×SIZE (seeded crops of the photos
scikit-image ships, resized with Pillow), a flat grey baseline and an analysis config.

    python bench/gen_images.py N SIZE OUT_DIR
"""
import json
import os
import sys

import numpy as np
from PIL import Image
from skimage import data

n, size, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(os.path.join(out, "images"), exist_ok=True)
photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(),
          data.stereo_motorcycle()[0], data.retina()]
rng = np.random.default_rng(7)
for i in range(n):
    p = photos[i % len(photos)]
    h, w = p.shape[:2]
    side = int(rng.integers(min(h, w) // 2, min(h, w)))
    top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = Image.fromarray(np.ascontiguousarray(p[top:top + side, left:left + side, :3]))
    crop.resize((size, size), Image.BILINEAR).save(os.path.join(out, "images", f"img{i:04d}.png"))
Image.fromarray(np.full((size, size, 3), 128, dtype=np.uint8)).save(os.path.join(out, "baseline.png"))
config = {
    "dataset_type": "application/x-image",
    "predictor": {"endpoint_name": "vision", "accept_type": "application/json",
                  "content_type": "application/x-npy", "label_headers": ["cat", "dog", "other"]},
    "methods": {"report": {"name": "report", "title": "Analysis Report"},
                "shap": {"baseline": "baseline.png",
                         "image_config": {"model_type": "IMAGE_CLASSIFICATION", "num_segments": 20}}},
}
json.dump(config, open(os.path.join(out, "analysis_config.json"), "w"), indent=1)
