"""Plot per-round LER against p from `qec ler --json` lines (pipeline solid, matcher alone dashed).

    python benchmarks/plot_ler.py benchmarks/results/ler_sweep.jsonl docs/ler_vs_p.png
"""

import collections
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src, dst):
    rows = [json.loads(line) for line in open(src) if line.strip()]
    distances = sorted({r["distance"] for r in rows})
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    for ax, (pipe, base) in zip(axes, (("pipeline", "pymatching"), ("pipeline-correlated", "pymatching-correlated"))):
        for i, d in enumerate(distances):
            for name, style in ((base, "--"), (pipe, "-")):
                # Points with no error have no rate to draw on a log scale; they are left out.
                pts = sorted((float(r["noise"].split(":")[1]), r) for r in rows
                             if r["distance"] == d and r["decoder"] == name and r["errors"] > 0)
                xs = [p for p, _ in pts]
                ys = [r["ler_round"] for _, r in pts]
                lo = [r["ler_round"] - r["ler_round_low"] for _, r in pts]
                hi = [r["ler_round_high"] - r["ler_round"] for _, r in pts]
                ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o" + style, color=f"C{i}", capsize=2, markersize=3,
                            label=f"{name} d={d}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("physical error rate p (uniform circuit noise)")
        ax.grid(which="both", alpha=0.3)
        ax.legend(fontsize=7)
        ax.set_title(f"{pipe} (solid) vs {base} alone (dashed)")
    axes[0].set_ylabel("logical error rate per round (95% CI)")
    shots = collections.Counter(r["shots"] for r in rows).most_common(1)[0][0]
    fig.suptitle(f"rotated surface code, memory X, rounds = d, {shots} paired shots per point, shipped default model")
    fig.tight_layout()
    fig.savefig(dst, dpi=120)


if __name__ == "__main__":
    main(*sys.argv[1:])
