"""How often the pre-decoder's decisions on a device (or in another precision) differ from float32 CPU
decisions on the same shots.

    python benchmarks/device_agreement.py --device cuda --distance 13 --shots 2000
    python benchmarks/device_agreement.py --device cpu --precision bfloat16 --model accurate --shots 2000
    python benchmarks/device_agreement.py --device cpu --precision bfloat16 --model accurate --reweight --distance 9

Prints one JSON line: shots whose residual or prediction differ, and each side's logical errors
(paired: shots only one side fails).
"""

import argparse
import json

import numpy as np

import qec


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--distance", type=int, default=13)
    parser.add_argument("--basis", choices=("x", "z"), default="x")
    parser.add_argument("--noise", default="uniform:0.006")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--reweight", action="store_true", help="the reweighted pipeline (default: the hard one)")
    parser.add_argument("--shots", type=int, default=2000)
    parser.add_argument("--model", default="models/default.pt")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default=None,
                        help="the compared decoder's arithmetic (default: the device's, bfloat16 on cuda)")
    args = parser.parse_args()
    circuit = qec.generate_circuit(args.distance, args.distance, basis=args.basis, noise=args.noise)
    graph = qec.DecodingGraph.from_circuit(circuit)
    dets, obs = circuit.compile_detector_sampler(seed=args.seed).sample(args.shots, separate_observables=True)
    cpu = qec.Decoder(graph, model=args.model, device="cpu", precision="float32", reweight=args.reweight)
    dev = qec.Decoder(graph, model=args.model, device=args.device, precision=args.precision, reweight=args.reweight)
    (res_cpu, _), (res_dev, _) = cpu.predecode(dets), dev.predecode(dets)
    pred_cpu, pred_dev = cpu.decode_batch(dets), dev.decode_batch(dets)
    failed_cpu, failed_dev = np.any(pred_cpu != obs, axis=1), np.any(pred_dev != obs, axis=1)
    print(json.dumps({
        "device": args.device, "precision": dev.precision, "model": args.model, "reweight": args.reweight,
        "distance": args.distance, "basis": args.basis, "noise": args.noise, "shots": args.shots, "seed": args.seed,
        "shots_with_different_residual": int(np.any(res_cpu != res_dev, axis=1).sum()),
        "detectors_differing_fraction": float((res_cpu != res_dev).mean()),
        "shots_with_different_prediction": int(np.any(pred_cpu != pred_dev, axis=1).sum()),
        "errors_cpu": int(failed_cpu.sum()),
        "errors_device": int(failed_dev.sum()),
        "shots_only_cpu_fails": int((failed_cpu & ~failed_dev).sum()),
        "shots_only_device_fails": int((failed_dev & ~failed_cpu).sum()),
    }))


if __name__ == "__main__":
    main()
