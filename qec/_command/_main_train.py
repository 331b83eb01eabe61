"""`qec train`: the same as `python training/train.py`."""

from __future__ import annotations


def main(*, command_line_args: list[str]) -> int:
    from qec._training import TrainConfig, train
    if any(a in ("-h", "--help") for a in command_line_args):
        print(TrainConfig.usage())
        return 0
    try:
        cfg = TrainConfig.from_args(command_line_args)
    except (ValueError, OSError) as e:
        raise SystemExit(f"qec train: {e}\n(--help lists every key)")
    try:
        print(train(cfg))
    except ValueError as e:  # a value the run cannot use: a device not there, a bad noise text, a missing checkpoint
        raise SystemExit(f"qec train: {e}")
    return 0
