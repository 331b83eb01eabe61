"""Train a pre-decoder.

    python training/train.py --config training/configs/default.json --out_dir=runs/default
    python training/train.py --out_dir=runs/default --init_from=resume      # continue where it stopped
    python training/train.py --help                                          # every key, its default and meaning

Every key of qec.TrainConfig can be overridden as --key=value; unknown keys are rejected.
Same as `qec train ...`.
"""

import sys

from qec._command._main_train import main

if __name__ == "__main__":
    sys.exit(main(command_line_args=sys.argv[1:]))
