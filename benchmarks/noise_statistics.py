"""What the thresholds by noise read off a circuit's DEM, tabulated: the time-like ratio
(`qec.DecodingGraph.timelike_ratio`: does it tell uniform from SI1000 noise whatever the strength,
distance, rounds and basis, and under noise that differs from qubit to qubit?) or the noise spread
(`qec.DecodingGraph.noise_spread`: how much the noise varies from place to place).

    python benchmarks/noise_statistics.py --distances 3,5,9,13,17 --rounds 1,3,d,50
    python benchmarks/noise_statistics.py --distances 5,9,13 --rounds d --noise uniform:0.003,si1000:0.003 \
        --sigma 1.0 --draws 12     # log-normal per-qubit factors: the range over 12 draws, memory X
    python benchmarks/noise_statistics.py --statistic noise_spread --distances 5,9,13,17 --rounds d \
        --noise uniform:0.003,si1000:0.003 --sigma 0.5 --draws 12
"""

import argparse

import qec


def statistic(name: str, distance: int, rounds: int, basis: str, noise: str, sigma: float, draw: int) -> float:
    """The statistic ``name`` of one memory experiment's decoding graph, with per-qubit factors of
    one draw when ``sigma`` > 0."""
    if sigma > 0:
        noise = f"{noise}+lognormal:{sigma:g}:{draw}"
    circuit = qec.generate_circuit(distance, rounds, basis=basis, noise=noise)
    graph = qec.DecodingGraph.from_circuit(circuit)
    return getattr(graph, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statistic", choices=("timelike_ratio", "noise_spread"), default="timelike_ratio")
    parser.add_argument("--distances", default="3,5,9,13,17")
    parser.add_argument("--rounds", default="1,3,d,50", help="rounds per experiment; 'd' for the distance")
    parser.add_argument("--noise", default="uniform:0.002,uniform:0.006,uniform:0.01,si1000:0.001,si1000:0.003,si1000:0.006")
    parser.add_argument("--sigma", type=float, default=0.0, help="log-normal spread of per-qubit factors (0: none)")
    parser.add_argument("--draws", type=int, default=12, help="factor draws (seeds 0, 1, ...) with --sigma")
    args = parser.parse_args()
    noises = args.noise.split(",")
    what = "memory X / Z" if args.sigma == 0 else f"memory X, min-max over {args.draws} draws at sigma {args.sigma:g}"
    print(f"{'d':>3} {'rounds':>6}  " + "  ".join(f"{n:>14}" for n in noises) + f"   ({what})")
    for d in map(int, args.distances.split(",")):
        for rounds in sorted({d if r == "d" else int(r) for r in args.rounds.split(",")}):
            cells = []
            for noise in noises:
                if args.sigma == 0:
                    x, z = (statistic(args.statistic, d, rounds, b, noise, 0, 0) for b in "xz")
                else:
                    values = [statistic(args.statistic, d, rounds, "x", noise, args.sigma, draw)
                              for draw in range(args.draws)]
                    x, z = min(values), max(values)
                cells.append(f"{x:.2f} {'/' if args.sigma == 0 else '-'} {z:.2f}")
            print(f"{d:>3} {rounds:>6}  " + "  ".join(f"{c:>14}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
