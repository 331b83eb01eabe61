"""Turn `qec ler --json` lines into the Markdown table of BENCHMARKS.md.

    python benchmarks/ler_table.py benchmarks/results/pipeline_d9_d13.jsonl
"""

import collections
import json
import sys


def main(paths):
    rows = [json.loads(line) for p in paths for line in open(p) if line.strip()]
    groups = collections.OrderedDict()
    for r in rows:
        groups.setdefault((r["basis"], r["distance"], r["rounds"], r["noise"], r["shots"]), {})[r["decoder"]] = r
    print("| basis | d | rounds | noise | shots | decoder | errors | LER/round (95% CI) | vs matcher | density in → residual | reduction |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (basis, d, rounds, noise, shots), by in groups.items():
        for name, r in by.items():
            base = by.get("pymatching-correlated" if name.endswith("-correlated") else "pymatching")
            ratio = f"{r['errors'] / base['errors']:.2f}×" if base and base is not r and base["errors"] else ""
            dens = (f"{r['density_in']:.4f}" if r["density_residual"] is None
                    else f"{r['density_in']:.4f} → {r['density_residual']:.4f}")
            red = "" if r["density_residual"] is None else f"{r['density_in'] / r['density_residual']:.1f}×"
            print(f"| {basis.upper()} | {d} | {rounds} | {noise} | {shots} | {name} | {r['errors']} | "
                  f"{r['ler_round']:.2e} [{r['ler_round_low']:.2e}, {r['ler_round_high']:.2e}] | {ratio} | {dens} | {red} |")


if __name__ == "__main__":
    main(sys.argv[1:])
