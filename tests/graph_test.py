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


def test_a_circuit_whose_errors_do_not_decompose_says_so():
    color_code = stim.Circuit.generated("color_code:memory_xyz", distance=5, rounds=5,
                                        after_clifford_depolarization=0.01)
    with pytest.raises(ValueError, match="do not decompose into matching-graph edges"):
        qec.Decoder.from_circuit(color_code)


def test_missing_coordinates_are_rejected():
    with pytest.raises(ValueError, match=r"expected \(x, y, t\)"):
        qec.DecodingGraph.from_dem(stim.DetectorErrorModel("error(0.1) D0 D1"))


def test_a_circuit_without_detectors_says_so():
    with pytest.raises(ValueError, match="has no detectors"):
        qec.Decoder.from_circuit(stim.Circuit("X_ERROR(0.1) 0\nM 0\nOBSERVABLE_INCLUDE(0) rec[-1]"))


@pytest.mark.parametrize("code", ["repetition_code:memory", "surface_code:unrotated_memory_z"])
def test_other_codes_are_refused_with_what_qec_decodes(code):
    circuit = stim.Circuit.generated(code, distance=3, rounds=3, after_clifford_depolarization=0.01)
    with pytest.raises(ValueError, match="qec decodes rotated surface-code memory experiments"):
        qec.Decoder.from_circuit(circuit)


def test_wrong_type_is_rejected():
    with pytest.raises(TypeError, match="stim.Circuit"):
        qec.DecodingGraph.from_circuit("not a circuit")


@pytest.mark.parametrize("basis", ["x", "z"])
def test_noise_spread_reads_how_much_the_noise_varies_across_qubits_not_its_strength_or_kind(basis):
    def spread(noise, rounds=5):
        return qec.DecodingGraph.from_circuit(qec.generate_circuit(5, rounds, basis=basis, noise=noise)).noise_spread

    layout = qec.generate_circuit(5, 20, basis=basis, noise="uniform:0")
    by_sigma = {sigma: spread(qec.NoiseModel("uniform", 0.004, qubit_factors=qec.qubit_factors_lognormal(
        layout, sigma=sigma, seed=1)), rounds=20) for sigma in (0.25, 0.5, 1.0)}
    assert spread("uniform:0.002") < 0.002 and spread("uniform:0.01") < 0.002
    assert spread("uniform:0.004", rounds=1) < 0.002 and spread("uniform:0.004", rounds=20) < 0.002
    assert 0.15 < spread("si1000:0.003") < 0.3  # its own pattern, below per-qubit spreads of sigma 0.5
    # Log-normal factors of spread sigma read about 0.65 sigma (a per-edge mix of several qubits' factors).
    for sigma, value in by_sigma.items():
        assert 0.5 * sigma < value < 0.8 * sigma, (sigma, value)


def test_noise_spread_of_a_long_experiment_matches_a_whole_uniform_twin():
    from qec._graph import _uniform_twin_probabilities
    layout = qec.generate_circuit(3, 9, basis="z", noise="uniform:0")
    noise = qec.NoiseModel("si1000", 0.003, qubit_factors=qec.qubit_factors_lognormal(layout, sigma=0.7, seed=2))
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 9, basis="z", noise=noise))
    np.testing.assert_allclose(_uniform_twin_probabilities(graph),
                               _uniform_twin_probabilities(graph, short_rounds=9), rtol=1e-12)


def test_noise_spread_is_nan_off_stims_layout():
    dem = stim.DetectorErrorModel("error(0.1) D0 D1\nerror(0.1) D0\ndetector(0, 0, 0) D0\ndetector(2, 0, 0) D1")
    assert np.isnan(qec.DecodingGraph.from_dem(dem).noise_spread)
