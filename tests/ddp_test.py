"""Data-parallel training: two gloo processes on the CPU, as torchrun would start them."""

import os
import socket

import torch
import torch.multiprocessing as mp

import qec
from qec._predecoder import load_checkpoint_file


def _worker(rank, world, port, out_dir):
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    cfg = qec.TrainConfig.from_dict(dict(out_dir=out_dir, distance=3, rounds=3, bases="x", noise="uniform:0.02",
                                         width=8, depth=2, steps=20, batch_size=16, eval_every=10, eval_shots=100,
                                         eval_distance=3, eval_noise="uniform:0.02", progress=False, threads=1,
                                         device="cpu"))
    qec.train(cfg)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_training_writes_one_checkpoint_that_counts_both(tmp_path):
    out_dir = str(tmp_path / "run")
    mp.spawn(_worker, args=(2, _free_port(), out_dir), nprocs=2, join=True)
    ckpt = load_checkpoint_file(os.path.join(out_dir, "ckpt.pt"))
    assert ckpt["step"] == 20
    assert ckpt["metadata"]["shots_seen"] == 20 * 16 * 2
    assert all(torch.isfinite(v).all() for v in ckpt["state_dict"].values())
    # The two processes trained on different shots: the result differs from one process alone.
    qec.train(qec.TrainConfig.from_dict(dict(out_dir=str(tmp_path / "single"), distance=3, rounds=3, bases="x",
                                             noise="uniform:0.02", width=8, depth=2, steps=20, batch_size=16,
                                             eval_every=10, eval_shots=100, eval_distance=3,
                                             eval_noise="uniform:0.02", progress=False, threads=1,
                                             device="cpu")))
    one = load_checkpoint_file(tmp_path / "single" / "ckpt.pt")["state_dict"]
    assert any(not torch.equal(one[k], ckpt["state_dict"][k]) for k in one)
