import numpy as np
import pytest
import torch

import qec
from qec._blocks import axis_blocks


@pytest.mark.parametrize("length, interior, halo", [(10, 4, 1), (50, 7, 4), (9, 3, 4), (13, 1, 5), (6, 10, 2)])
def test_axis_blocks_tile_the_axis_with_full_halos(length, interior, halo):
    blocks = axis_blocks(length, interior, halo)
    kept = [i for _, _, a, b in blocks for i in range(a, b)]
    assert kept == list(range(length))
    sizes = {end - start for start, end, _, _ in blocks}
    assert len(sizes) == 1
    for start, end, a, b in blocks:
        assert 0 <= start and end <= length
        assert start == 0 or a - start >= halo
        assert end == length or end - b >= halo


@pytest.mark.parametrize("d, rounds", [(5, 50), (7, 20), (9, 9)])
def test_blockwise_equals_whole_volume(d, rounds):
    rng = np.random.default_rng(d * 100 + rounds)
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(d, rounds, basis="z", noise="uniform:0.008"))
    pre = qec.PreDecoder.untrained(classes=graph.classes, width=8, depth=4, seed=1)  # R = 9, halo 4
    dets = torch.as_tensor(qec.StimSampler(graph, seed=d).sample(16).dets)
    whole = pre.bind(graph)
    for _ in range(3):
        block = (int(rng.integers(1, rounds + 2)), int(rng.integers(1, d + 2)) if rng.random() < 0.5 else None, None)
        blocked = pre.bind(graph, block=block)
        a, b = whole.edge_logits(dets), blocked.edge_logits(dets)
        torch.testing.assert_close(b, a, rtol=0, atol=2e-5)
        for threshold in (-1.0, 0.0, 1.0):
            da = whole.decide(a, dets, threshold=threshold)
            db = blocked.decide(b, dets, threshold=threshold)
            assert torch.equal(da, db) or (a - threshold).abs().min() < 1e-4  # identical unless a logit sits on the threshold


@pytest.mark.parametrize("mlp", [0, 2])
def test_blockwise_equals_whole_volume_with_skip_connections_and_mlps(mlp):
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 20, basis="x", noise="uniform:0.008"))
    pre = qec.PreDecoder.untrained(classes=graph.classes, width=8, depth=4, residual=True, mlp=mlp, seed=2)  # R = 9 still
    dets = torch.as_tensor(qec.StimSampler(graph, seed=7).sample(16).dets)
    whole = pre.bind(graph).edge_logits(dets)
    for block in [(3, None, None), (7, 2, None)]:
        torch.testing.assert_close(pre.bind(graph, block=block).edge_logits(dets), whole, rtol=0, atol=2e-5)


def test_bad_block_is_rejected(graph_d5, tiny_predecoder):
    with pytest.raises(ValueError, match="block="):
        tiny_predecoder.bind(graph_d5, block=(0, None, None))
