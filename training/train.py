"""Train a pre-decoder.

    python training/train.py --config training/configs/default.json --out_dir=runs/default
    python training/train.py --out_dir=runs/default --init_from=resume      # continue where it stopped

Every key of qec.TrainConfig can be overridden as --key=value; unknown keys are rejected.
"""

import sys

import qec

if __name__ == "__main__":
    cfg = qec.TrainConfig.from_args(sys.argv[1:])
    predecoder = qec.train(cfg)
    print(predecoder)
