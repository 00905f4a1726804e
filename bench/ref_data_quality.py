"""The reference side of bench/run_data_quality: whylogs profiling the same CSV (pandas reads
it, whylogs profiles every column: counts, types, KLL quantiles, HLL cardinality, frequent
items), as a team replacing Model Monitor's data-quality job with open source would.

    python bench/ref_data_quality.py DATA.csv
"""
import sys

import pandas as pd
import whylogs as why

df = pd.read_csv(sys.argv[1])
view = why.log(df).view()
summary = view.to_pandas()
print(len(summary), "columns profiled;", int(summary["counts/n"].iloc[0]), "rows")
