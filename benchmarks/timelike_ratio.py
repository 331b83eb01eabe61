"""The time-like ratio (`qec.DecodingGraph.timelike_ratio`) of uniform and SI1000 circuits: does it tell
the kind of noise apart whatever its strength, distance, rounds and basis?

    python benchmarks/timelike_ratio.py --distances 3,5,9,13,17 --rounds 1,3,d,50
"""

import argparse

import qec


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distances", default="3,5,9,13,17")
    parser.add_argument("--rounds", default="1,3,d,50", help="rounds per experiment; 'd' for the distance")
    parser.add_argument("--noise", default="uniform:0.002,uniform:0.006,uniform:0.01,si1000:0.001,si1000:0.003,si1000:0.006")
    args = parser.parse_args()
    noises = args.noise.split(",")
    print(f"{'d':>3} {'rounds':>6}  " + "  ".join(f"{n:>14}" for n in noises) + "   (memory X / Z)")
    for d in map(int, args.distances.split(",")):
        for rounds in sorted({d if r == "d" else int(r) for r in args.rounds.split(",")}):
            cells = []
            for noise in noises:
                x, z = (qec.DecodingGraph.from_circuit(qec.generate_circuit(d, rounds, basis=b, noise=noise)).timelike_ratio
                        for b in "xz")
                cells.append(f"{x:.2f} / {z:.2f}")
            print(f"{d:>3} {rounds:>6}  " + "  ".join(f"{c:>14}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
