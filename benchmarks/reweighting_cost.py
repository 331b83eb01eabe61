"""Where the reweighted matcher's time per shot goes (qec.PosteriorMatcher builds one graph per shot).

Times, for one shot of the default model's logits: building a PyMatching graph with the shot's
weights (`Matching.from_check_matrix`), matching on a graph that is already built, and matching
after editing one edge of a built graph in place (`add_edge(..., merge_strategy="replace")`,
which makes PyMatching rebuild its solver). Then decodes the shots both ways (a new graph per
shot; one graph whose judged edges are edited in place and restored) and checks they agree.
Prints one JSON line.

    python benchmarks/reweighting_cost.py --distance 9 --shots 500
"""

import argparse
import json
import statistics
import time

import numpy as np
import pymatching
import torch

import qec


def median_us(fn, repeats: int = 50) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e6 * statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distance", type=int, default=9)
    parser.add_argument("--noise", default="uniform:0.006")
    parser.add_argument("--shots", type=int, default=500)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    d = args.distance
    circuit = qec.generate_circuit(d, d, basis="x", noise=args.noise)
    graph = qec.DecodingGraph.from_circuit(circuit)
    dets = circuit.compile_detector_sampler(seed=3).sample(args.shots)
    dets = dets[dets.any(axis=1)]
    logits = qec.PreDecoder.load(args.model).bind(graph).edge_logits(torch.as_tensor(dets), batch_size=500).numpy()
    matcher = qec.PosteriorMatcher(graph, scale=0.25)
    ends = graph.edge_detectors
    fault_ids = [set(np.flatnonzero(graph.edge_observables[e]).tolist()) for e in range(graph.num_edges)]
    built = pymatching.Matching.from_check_matrix(matcher._check.copy(), weights=matcher.prior_weights,
                                                  faults_matrix=matcher._faults.copy())

    def set_weight(e: int, weight: float) -> None:
        a, b = int(ends[e, 0]), int(ends[e, 1])
        if b < 0:
            built.add_boundary_edge(a, fault_ids=fault_ids[e], weight=weight, merge_strategy="replace")
        else:
            built.add_edge(a, b, fault_ids=fault_ids[e], weight=weight, merge_strategy="replace")

    syndrome, weights = dets[0].astype(np.uint8), matcher.weights(dets[0], logits[0])
    edge = int(np.flatnonzero(matcher.judged(dets[0]))[0])
    row = {"distance": d, "noise": args.noise, "edges": graph.num_edges,
           "build_graph_us": median_us(lambda: matcher._matching(weights)),
           "match_built_graph_us": median_us(lambda: built.decode(syndrome)),
           "edit_one_edge_then_match_us": median_us(lambda: (set_weight(edge, float(weights[edge])), built.decode(syndrome)))}
    set_weight(edge, float(matcher.prior_weights[edge]))

    t = time.perf_counter()
    per_shot_graph = matcher.decode_batch(dets, logits)
    row["new_graph_per_shot_us"] = 1e6 * (time.perf_counter() - t) / len(dets)
    in_place = np.zeros_like(per_shot_graph)
    t = time.perf_counter()
    for s in range(len(dets)):
        judged = np.flatnonzero(matcher.judged(dets[s]))
        weights = matcher.weights(dets[s], logits[s])
        for e in judged:
            set_weight(e, float(weights[e]))
        in_place[s] = built.decode(dets[s].astype(np.uint8)).astype(bool)
        for e in judged:
            set_weight(e, float(matcher.prior_weights[e]))
    row["edit_in_place_per_shot_us"] = 1e6 * (time.perf_counter() - t) / len(dets)
    row["shots"] = len(dets)
    row["predictions_agree"] = bool((in_place == per_shot_graph).all())
    print(json.dumps(row))


if __name__ == "__main__":
    main()
