"""Turn `qec bench --json` lines into the Markdown table of BENCHMARKS.md.

    python benchmarks/bench_table.py benchmarks/results/bench_cpu.jsonl
"""

import json
import sys

print("| d | noise | shots | PyMatching | PyMatching corr. | pre-decoder | residual matching | residual corr. | "
      "pipeline end to end | residual / raw matching | density in → residual |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for path in sys.argv[1:]:
    for line in open(path):
        if not line.strip():
            continue
        r = json.loads(line)
        print(f"| {r['distance']} | {r['noise']} | {r['shots']} | {r['pymatching_us_per_round']:.2f} | "
              f"{r['pymatching_correlated_us_per_round']:.2f} | {r['predecoder_us_per_round']:.0f} | "
              f"{r['residual_matching_us_per_round']:.2f} | {r['residual_matching_correlated_us_per_round']:.2f} | "
              f"{r['pipeline_us_per_round']:.0f} | {r['residual_to_raw_matching_ratio']:.2f} | "
              f"{r['density_in']:.4f} → {r['density_residual']:.4f} |")
