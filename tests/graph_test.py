import numpy as np
import pytest
import stim

import qec


@pytest.mark.parametrize("basis", ["x", "z"])
@pytest.mark.parametrize("d", [3, 5, 7])
def test_grid_and_stencil(d, basis):
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(d, d, basis=basis, noise="uniform:0.001"))
    assert graph.grid_shape == (d + 1, d + 1, d + 1)
    # Every detector has its own voxel.
    assert len({tuple(v) for v in graph.detector_voxels}) == graph.num_detectors
    # (class, anchor) names each edge uniquely: the network's output can address every edge.
    keys = {(c, tuple(a)) for c, a in zip(graph.edge_classes.tolist(), graph.edge_anchors.tolist())}
    assert len(keys) == graph.num_edges
    # The stencil found at d=3 is the stencil at every distance and basis.
    ref = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, basis="x", noise="uniform:0.001"))
    assert graph.classes == ref.classes
    assert len(graph.classes) == 9
    # Half the stabilizers are of the memory's basis; the first layer holds only those.
    assert graph.basis_mask[0].sum() == (d * d - 1) // 2


def test_si1000_stencil_matches_uniform():
    a = qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 5, basis="z", noise="si1000:0.002"))
    b = qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 5, basis="z", noise="uniform:0.002"))
    assert a.classes == b.classes


def test_errors_to_edges_reproduces_stim(graph_d5):
    sampler = graph_d5.dem.compile_sampler(seed=3)
    dets, obs, errors = sampler.sample(2000, return_errors=True)
    edges = graph_d5.errors_to_edges(errors)
    d2, o2 = graph_d5.edge_syndromes(edges)
    np.testing.assert_array_equal(d2, dets.astype(bool))
    np.testing.assert_array_equal(o2, obs.astype(bool))


def test_undecomposed_dem_is_rejected():
    dem = stim.DetectorErrorModel("error(0.1) D0 D1 D2\ndetector(0, 0, 0) D0\ndetector(2, 0, 0) D1\ndetector(4, 0, 0) D2")
    with pytest.raises(ValueError, match="decompose_errors=True"):
        qec.DecodingGraph.from_dem(dem)


def test_missing_coordinates_are_rejected():
    with pytest.raises(ValueError, match=r"expected \(x, y, t\)"):
        qec.DecodingGraph.from_dem(stim.DetectorErrorModel("error(0.1) D0 D1"))


def test_wrong_type_is_rejected():
    with pytest.raises(TypeError, match="stim.Circuit"):
        qec.DecodingGraph.from_circuit("not a circuit")
