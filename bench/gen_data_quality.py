"""A data-quality baseline dataset: ROWS rows, 20 columns (8 Fractional, 6 Integral, 6 String
with 3 to 200 categories), a few missing cells; header line; deterministic.

    python bench/gen_data_quality.py ROWS OUT.csv
"""
import random
import sys

rows, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
cities = [f"city_{i}" for i in range(200)]
names = [f"f{i}" for i in range(8)] + [f"i{i}" for i in range(6)] + [f"s{i}" for i in range(6)]
with open(out, "w") as f:
    f.write(",".join(names) + "\n")
    for r in range(rows):
        cells = [repr(round(rng.gauss(10 * i, 1 + i), 6)) for i in range(8)]
        cells += [str(rng.randrange(0, 10 ** (i + 1))) for i in range(6)]
        cells += [rng.choice(cities[: 3 + 40 * i]) for i in range(6)]
        if r % 97 == 0:
            cells[1 + r % 19] = ""  # never the first: a capture window's response
        f.write(",".join(cells) + "\n")
