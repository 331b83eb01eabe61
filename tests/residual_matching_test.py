import numpy as np
import pytest

import qec


@pytest.fixture(scope="module")
def shots_d5():
    circuit = qec.generate_circuit(5, 5, basis="z", noise="uniform:0.008")
    graph = qec.DecodingGraph.from_circuit(circuit)
    dets = circuit.compile_detector_sampler(seed=21).sample(600)
    return graph, dets


def test_pool_matches_like_one_process(shots_d5):
    graph, dets = shots_d5
    matching = qec.ResidualMatching(graph)
    rng = np.random.default_rng(4)
    logits = rng.normal(0, 3, size=(len(dets), graph.num_edges)).astype(np.float32)
    with qec.MatchingPool(matching, workers=2) as pool:
        for correlated in (False, True):
            expected = matching.matcher.decode_batch(dets, correlated=correlated)
            np.testing.assert_array_equal(pool.decode_batch(dets, correlated=correlated), expected)
        for variant in ("reweighted", "reweighted-correlated"):
            np.testing.assert_array_equal(pool.submit(dets, variant, logits).result(), matching.match(dets, variant, logits))
        with pytest.raises(ValueError, match="pass logits"):
            matching.match(dets, "reweighted")


def test_pool_needs_a_worker(shots_d5):
    with pytest.raises(ValueError, match="workers=0"):
        qec.MatchingPool(qec.ResidualMatching(shots_d5[0]), workers=0)
