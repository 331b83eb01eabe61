"""Why matching time falls more slowly than the event count: PyMatching's cost per event on the
raw syndrome and on the pre-decoder's residual, on the same shots.

For each hard threshold, on one set of shots: events per shot, PyMatching's µs per shot on the
raw events, on the residual and on empty shots (the per-shot floor; this process's CPU time, the
syndromes timed in turn), the cost per event above that floor, and the matching's length in
graph edges per event (``decode_to_edges_array`` on the first 200 shots): the residual keeps the
events whose partners are far away.

    python benchmarks/residual_matching_cost.py default --distance 13 --noise uniform:0.003 --shots 2000 --thresholds 4,3,2

`--rules` adds thresholds per edge class (one per class, comma-separated, in the model's class order).
`--bit-packed` hands every syndrome to PyMatching bit-packed (`decode_batch(..., bit_packed_shots=True)`),
to see whether the input's form moves the per-shot floor.
"""

import json
import statistics
import time

import numpy as np
import torch

from _paired_shots import experiment_parser, experiment_setup, rule_thresholds


def us_per_shot(decode, syndromes: dict, repeats: int) -> dict:
    """``{name: µs per shot}``: the median over ``repeats`` rounds of ``decode`` on each syndrome, the
    syndromes taken in turn within each round (after one warm-up round), timed in this process's CPU
    time so that another job on the machine does not count."""
    times = {name: [] for name in syndromes}
    for repeat in range(repeats + 1):
        for name, dets in syndromes.items():
            start = time.process_time()
            decode(dets)
            if repeat:
                times[name].append(time.process_time() - start)
    return {name: statistics.median(t) * 1e6 / len(syndromes[name]) for name, t in times.items()}


def edges_per_event(matching, dets: np.ndarray) -> float:
    """Edges in PyMatching's solution per detection event, over the shots given."""
    edges = sum(len(matching.decode_to_edges_array(shot)) for shot in dets)
    return edges / max(int(dets.sum()), 1)


def main():
    parser = experiment_parser(__doc__, distance=13, noise="uniform:0.003", shots=2000, seed=5, network=True)
    parser.add_argument("--thresholds", default="4,3,2")
    parser.add_argument("--rules", nargs="*", default=[], help="per-class thresholds, comma-separated in the model's class order")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--bit-packed", action="store_true", help="hand PyMatching bit-packed syndromes")
    parser.add_argument("--json", action="store_true", help="one JSON object per row")
    args = parser.parse_args()
    circuit, _, bound, matcher = experiment_setup(args)
    dets = circuit.compile_detector_sampler(seed=args.seed).sample(args.shots).astype(np.uint8)
    matching = matcher.matching(correlated=False)
    decode = matching.decode_batch
    dt = torch.as_tensor(dets.astype(bool))
    logits = bound.edge_logits(dt, batch_size=args.chunk)
    syndromes = {"raw": dets, "empty": np.zeros_like(dets)}
    thresholds = {f"residual, threshold {float(t):g}": float(t) for t in args.thresholds.split(",") if t}
    thresholds.update({f"residual, rule {rule}": rule_thresholds(bound, rule) for rule in args.rules})
    for name, threshold in thresholds.items():
        residual, _ = bound.apply(bound.decide(logits, dt, threshold=threshold), dt)
        syndromes[name] = residual.numpy().astype(np.uint8)
    if args.bit_packed:
        packed = {name: np.packbits(syndrome, axis=1, bitorder="little") for name, syndrome in syndromes.items()}
        timed = us_per_shot(lambda shots: matching.decode_batch(shots, bit_packed_shots=True), packed, args.repeats)
    else:
        timed = us_per_shot(decode, syndromes, args.repeats)
    empty_us = timed["empty"]
    raw_us, raw_events = timed["raw"], float(dets.sum(1).mean())
    rows = []
    for name, syndrome in syndromes.items():
        if name != "empty":
            rows.append({"syndrome": name, "events_per_shot": float(syndrome.sum(1).mean()), "us_per_shot": timed[name],
                         "edges_per_event": edges_per_event(matching, syndrome[:200]),
                         "empty_shot_fraction": float((syndrome.sum(1) == 0).mean())})
    for row in rows:
        row["us_per_event_above_floor"] = (row["us_per_shot"] - empty_us) / max(row["events_per_shot"], 1e-9)
        row["time_vs_raw"] = row["us_per_shot"] / raw_us
        row["events_vs_raw"] = row["events_per_shot"] / raw_events
    header = {"distance": args.distance, "basis": args.basis, "noise": args.noise, "shots": args.shots,
              "seed": args.seed, "model": args.model, "precision": args.precision, "bit_packed": args.bit_packed,
              "empty_shot_us": empty_us}
    if args.json:
        for row in rows:
            print(json.dumps({**header, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}}))
        return
    print(f"d = {args.distance}, memory {args.basis.upper()}, {args.noise}, {args.shots} shots (seed {args.seed}), "
          f"{args.model}; an empty shot costs {empty_us:.2f} µs")
    print(f"{'syndrome':<24} {'events/shot':>11} {'µs/shot':>8} {'µs/event':>8} {'edges/event':>11} "
          f"{'events vs raw':>13} {'time vs raw':>11}")
    for row in rows:
        print(f"{row['syndrome']:<24} {row['events_per_shot']:>11.1f} {row['us_per_shot']:>8.2f} "
              f"{row['us_per_event_above_floor']:>8.3f} {row['edges_per_event']:>11.2f} "
              f"{row['events_vs_raw']:>13.3f} {row['time_vs_raw']:>11.3f}")


if __name__ == "__main__":
    main()
