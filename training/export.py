"""Export a training checkpoint as a shipped model: weights, config and metadata, no optimizer state.

    python training/export.py runs/default/best.pt models/default.pt --name default --minutes 45 \
        --machine "2-core CPU (no GPU)"
"""

import argparse

import torch

import qec

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("out")
    parser.add_argument("--name", required=True)
    parser.add_argument("--minutes", type=float, required=True, help="wall time of the training run")
    parser.add_argument("--machine", required=True)
    parser.add_argument("--threshold", type=float, default=None, help="override the tuned threshold")
    parser.add_argument("--threshold-correlated", type=float, default=None,
                        help="threshold for correlated residual matching (default: --threshold)")
    args = parser.parse_args()
    ckpt = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    predecoder = qec.PreDecoder.from_checkpoint(args.checkpoint)
    if args.threshold is not None:
        predecoder.threshold = args.threshold
    predecoder.threshold_correlated = (predecoder.threshold if args.threshold_correlated is None
                                       else args.threshold_correlated)
    predecoder.metadata.update(name=args.name, train_minutes=args.minutes, machine=args.machine,
                               qec_version=qec.__version__)
    predecoder.save(args.out, train_config=ckpt.get("train_config"), step=ckpt.get("step"))
    print(predecoder)
