"""Peak memory of a long stream: push R rounds of a d=3 memory experiment and report the peak RSS.

    python benchmarks/stream_memory.py --rounds 10000 --shots 64 --model default
    python benchmarks/stream_memory.py --rounds 10000 --shots 64 --model default --template-rounds 9

With ``--template-rounds K`` the decoder is built from the K-round circuit and streams the R-round
experiment off it (``Decoder.stream(..., rounds=R)``); without it, from the R-round circuit itself.
The shots are sampled from the R-round circuit either way.
"""

import argparse
import json
import resource
import time

import qec


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distance", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10_000)
    parser.add_argument("--shots", type=int, default=64)
    parser.add_argument("--model", default="default")
    parser.add_argument("--template-rounds", type=int, default=None,
                        help="build the decoder from a circuit of this many rounds and stream --rounds off it")
    args = parser.parse_args()
    model = None if args.model == "none" else args.model
    t0 = time.perf_counter()
    circuit = qec.generate_circuit(args.distance, args.rounds, basis="x", noise="uniform:0.003")
    decoder_rounds = args.template_rounds or args.rounds
    decoder = qec.Decoder.from_circuit(qec.generate_circuit(args.distance, decoder_rounds, basis="x", noise="uniform:0.003"),
                                       model=model, device="cpu")
    built = time.perf_counter() - t0
    rss_built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sampler = circuit.compile_detector_sampler(seed=1)
    dets, obs = sampler.sample(args.shots, separate_observables=True)
    stream = decoder.stream(args.shots, commit_rounds=4, buffer_rounds=4,
                            rounds=args.rounds if args.template_rounds else None)
    held, t1 = 0, time.perf_counter()
    for layer in stream.layer_detectors:
        stream.push(dets[:, layer])
        held = max(held, stream.layers_held)
    predictions = stream.finish()
    print(json.dumps({"distance": args.distance, "rounds": args.rounds, "template_rounds": args.template_rounds,
                      "shots": args.shots, "model": args.model,
                      "graph_seconds": built, "stream_seconds": time.perf_counter() - t1, "max_layers_held": held,
                      "peak_rss_mib_after_building": rss_built,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "errors": int((predictions != obs).any(axis=1).sum())}))


if __name__ == "__main__":
    main()
