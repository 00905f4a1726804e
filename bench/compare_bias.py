"""Checks that driftwatch's analysis.json and the reference's agree to 1e-9 (relative, or
absolute near 0), so each benchmark run is also a correctness check at scale.

    python bench/compare_bias.py DRIFTWATCH_ANALYSIS.json REFERENCE.json
"""
import json
import math
import sys

dw, ref = (json.load(open(p)) for p in sys.argv[1:3])
worst = 0.0
for stage, body in ref.items():
    for facet, entries in body["facets"].items():
        for e_ref, e_dw in zip(entries, dw[stage]["facets"][facet]):
            for m_ref, m_dw in zip(e_ref["metrics"], e_dw["metrics"]):
                assert m_ref["name"] == m_dw["name"], (m_ref["name"], m_dw["name"])
                a, b = m_dw.get("value"), m_ref.get("value")
                if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                    diff = abs(a - b) / max(1.0, abs(a), abs(b))
                    worst = max(worst, diff)
                    assert diff <= 1e-9, (stage, facet, m_ref["name"], a, b)
                else:
                    assert a == b and m_dw.get("error") == m_ref.get("error"), (stage, facet, m_ref["name"], m_dw, m_ref)
print(f"agree (max relative difference {worst:.1e})")
