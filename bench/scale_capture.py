"""A bigger capture window from a generated one (bench/gen_capture.py): TIMES copies of every
capture and ground-truth file, each copy's event ids prefixed with its number so every record
stays distinct and joined. Streams file by file (a 10M-record window is 4+ GB of JSON Lines).

    python bench/scale_capture.py SRC_DIR TIMES OUT_DIR
"""
import shutil
import sys
from pathlib import Path

src, times, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
for kind in ["capture", "truth"]:
    for f in sorted((src / kind).rglob("*.jsonl")):
        rel = f.relative_to(src)
        text = f.read_text()
        for k in range(times):
            dst = out / rel.parent / f"c{k:02d}-{rel.name}"
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(text.replace('"eventId":"ev-', f'"eventId":"ev{k}-'))
for f in src.glob("*.json"):
    shutil.copy(f, out / f.name)
for f in src.glob("schedules_*.yaml"):
    shutil.copy(f, out / f.name)
print(f"{times} copies of {src} under {out}")
