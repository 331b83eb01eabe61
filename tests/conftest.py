import pytest

import qec


@pytest.fixture(scope="session")
def graph_d5():
    return qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 5, basis="x", noise="uniform:0.01"))


@pytest.fixture
def tiny_predecoder(graph_d5):
    """A small untrained pre-decoder for shape and plumbing tests."""
    return qec.PreDecoder.untrained(classes=graph_d5.classes, width=8, depth=2, seed=3)
