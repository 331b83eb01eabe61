"""Turn `qec ler --json` lines into BENCHMARKS.md's grid: per (d, p), each pipeline's errors as a ratio of
its matcher's (uncorrelated pipelines against PyMatching, pipeline-correlated against correlated PyMatching).

    python benchmarks/ratio_grid.py benchmarks/results/ler_grid_default.jsonl
"""

import collections
import json
import sys

PAIRS = (("pipeline", "pymatching"), ("pipeline-reweighted", "pymatching"),
         ("pipeline-correlated", "pymatching-correlated"))


def main(paths):
    rows = [json.loads(line) for p in paths for line in open(p) if line.strip()]
    cells = collections.defaultdict(dict)
    for r in rows:
        cells[(r["distance"], float(r["noise"].split(":")[1]))][r["decoder"]] = r
    distances = sorted({d for d, _ in cells})
    noises = sorted({p for _, p in cells})
    for pipe, base in PAIRS:
        print(f"\n**{pipe} errors / {base} errors** (errors in brackets; shots per point in the last column)\n")
        print("| d | " + " | ".join(f"p = {p:g}" for p in noises) + " | shots |")
        print("|---|" + "---|" * (len(noises) + 1))
        for d in distances:
            out, shots = [], ""
            for p in noises:
                by = cells.get((d, p), {})
                if pipe in by and base in by:
                    a, b = by[pipe]["errors"], by[base]["errors"]
                    out.append(f"{a / b:.2f} ({a}/{b})" if b else f"– ({a}/0)")
                    shots = by[base]["shots"]
                else:
                    out.append("")
            print(f"| {d} | " + " | ".join(out) + f" | {shots} |")
    print("\n**Detection-event density reduction (input / residual), uncorrelated pipeline**\n")
    print("| d | " + " | ".join(f"p = {p:g}" for p in noises) + " |")
    print("|---|" + "---|" * len(noises))
    for d in distances:
        out = []
        for p in noises:
            r = cells.get((d, p), {}).get("pipeline")
            out.append(f"{r['density_in'] / r['density_residual']:.1f}×" if r and r["density_residual"] else "")
        print(f"| {d} | " + " | ".join(out) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
