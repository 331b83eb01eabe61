"""Does matching run in parallel? PyMatching alone on the same shots: one call, split over threads,
and split over worker processes (qec.MatchingPool). Prints one JSON line per distance.

    python benchmarks/matching_parallelism.py --workers 2 --distances 13,17 --shots 4000
"""

import argparse
import concurrent.futures
import json
import statistics
import time

import numpy as np

import qec


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--distances", default="13,17")
    parser.add_argument("--noise", default="uniform:0.006")
    parser.add_argument("--shots", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for d in map(int, args.distances.split(",")):
        circuit = qec.generate_circuit(d, d, noise=args.noise)
        graph = qec.DecodingGraph.from_circuit(circuit)
        dets = circuit.compile_detector_sampler(seed=d).sample(args.shots)
        chunks = np.array_split(dets, args.workers)
        matchers = [qec.Matcher(graph.dem) for _ in range(args.workers)]
        with concurrent.futures.ThreadPoolExecutor(args.workers) as threads, \
                qec.MatchingPool(qec.ResidualMatching(graph), args.workers) as pool:
            serial = median_seconds(lambda: matchers[0].decode_batch(dets), args.repeats)
            threaded = median_seconds(lambda: list(threads.map(lambda m, c: m.decode_batch(c), matchers, chunks)),
                                      args.repeats)
            processes = median_seconds(lambda: pool.decode_batch(dets), args.repeats)
        print(json.dumps({"distance": d, "noise": args.noise, "shots": args.shots, "workers": args.workers,
                          "repeats": args.repeats, "serial_s": serial, "threads_s": threaded, "processes_s": processes,
                          "threads_speedup": serial / threaded, "processes_speedup": serial / processes}))


if __name__ == "__main__":
    main()
