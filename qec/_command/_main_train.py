"""`qec train`: the same as `python training/train.py`."""

from __future__ import annotations


def main(*, command_line_args: list[str]) -> int:
    if any(a in ("-h", "--help") for a in command_line_args):
        import dataclasses
        from qec._training import TrainConfig
        print("usage: qec train [--config FILE.json] [--key=value ...]\n\nkeys and defaults:")
        for f in dataclasses.fields(TrainConfig):
            print(f"  --{f.name}={getattr(TrainConfig(), f.name)}")
        return 0
    from qec._training import TrainConfig, train
    try:
        cfg = TrainConfig.from_args(command_line_args)
    except ValueError as e:
        raise SystemExit(f"qec train: {e}")
    print(train(cfg))
    return 0
