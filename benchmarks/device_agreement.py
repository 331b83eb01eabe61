"""How often the pre-decoder's decisions on a device differ from float32 CPU decisions on the same shots.

    python benchmarks/device_agreement.py --device cuda --distance 13 --shots 2000
"""

import argparse
import json

import numpy as np

import qec


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--distance", type=int, default=13)
    parser.add_argument("--noise", default="uniform:0.006")
    parser.add_argument("--shots", type=int, default=2000)
    parser.add_argument("--model", default="models/default.pt")
    args = parser.parse_args()
    circuit = qec.generate_circuit(args.distance, args.distance, basis="x", noise=args.noise)
    graph = qec.DecodingGraph.from_circuit(circuit)
    dets, obs = circuit.compile_detector_sampler(seed=5).sample(args.shots, separate_observables=True)
    cpu = qec.Decoder(graph, model=args.model, device="cpu")
    dev = qec.Decoder(graph, model=args.model, device=args.device)
    (res_cpu, _), (res_dev, _) = cpu.predecode(dets), dev.predecode(dets)
    pred_cpu, pred_dev = cpu.decode_batch(dets), dev.decode_batch(dets)
    print(json.dumps({
        "device": args.device, "distance": args.distance, "noise": args.noise, "shots": args.shots,
        "shots_with_different_residual": int(np.any(res_cpu != res_dev, axis=1).sum()),
        "detectors_differing_fraction": float((res_cpu != res_dev).mean()),
        "shots_with_different_prediction": int(np.any(pred_cpu != pred_dev, axis=1).sum()),
        "errors_cpu": int(np.any(pred_cpu != obs, axis=1).sum()),
        "errors_device": int(np.any(pred_dev != obs, axis=1).sum()),
    }))


if __name__ == "__main__":
    main()
