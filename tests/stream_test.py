import numpy as np
import pytest
import stim
import torch

import qec


def _push_all(stream, dets, **kwargs):
    held = 0
    for layer in stream.layer_detectors:
        stream.push(dets[:, layer], **kwargs)
        held = max(held, stream.layers_held)
    return stream.finish(), held


@pytest.mark.parametrize("model", [None, "default"])
def test_one_window_equals_whole_experiment_decoding(model):
    circuit = qec.generate_circuit(3, 12, basis="z", noise="uniform:0.008")
    decoder = qec.Decoder.from_circuit(circuit, model=model, device="cpu")
    dets = circuit.compile_detector_sampler(seed=3).sample(300)
    # commit + buffer covers all 13 layers: one window, so the stream must reproduce decode_batch exactly,
    # including the pre-decoder, which the stream runs slab by slab as the rounds arrive.
    predictions, _ = _push_all(decoder.stream(300, commit_rounds=20, buffer_rounds=20), dets)
    np.testing.assert_array_equal(predictions, decoder.decode_batch(dets))


def test_sliding_windows_stay_close_to_whole_decoding():
    circuit = qec.generate_circuit(3, 30, basis="x", noise="uniform:0.006")
    decoder = qec.Decoder.from_circuit(circuit, model="default", device="cpu")
    dets, obs = circuit.compile_detector_sampler(seed=4).sample(400, separate_observables=True)
    predictions, held = _push_all(decoder.stream(400, commit_rounds=3, buffer_rounds=3), dets)
    whole = decoder.decode_batch(dets)
    assert (predictions == whole).mean() > 0.95
    stream_errors, whole_errors = np.any(predictions != obs, 1).sum(), np.any(whole != obs, 1).sum()
    assert abs(int(stream_errors) - int(whole_errors)) <= 3 * np.sqrt(whole_errors) + 3
    R = decoder.predecoder.net.config.receptive_field
    assert held <= 3 + 3 + R + (R - 1) // 2 + 1  # window + receptive field + one group of decided layers


def test_a_stream_commits_with_the_threshold_the_circuits_noise_selects():
    circuit = qec.generate_circuit(3, 12, basis="z", noise="uniform:0.008")
    dets = circuit.compile_detector_sampler(seed=3).sample(300)
    fixed = qec.PreDecoder.load("default")
    fixed.threshold = 6.0
    by_noise = qec.PreDecoder.load("default")
    by_noise.threshold_by_density = [(0.99, 6.0)]  # any circuit's noise selects 6
    whole = qec.Decoder.from_circuit(circuit, model=fixed, device="cpu").decode_batch(dets)
    stream = qec.Decoder.from_circuit(circuit, model=by_noise, device="cpu").stream(300, commit_rounds=20,
                                                                                     buffer_rounds=20)
    predictions, _ = _push_all(stream, dets)
    np.testing.assert_array_equal(predictions, whole)
    shipped = qec.Decoder.from_circuit(circuit, model="default", device="cpu").decode_batch(dets)
    assert (predictions != shipped).any()  # 6 commits less than the shipped threshold: some predictions move


def test_a_stream_commits_each_edge_class_at_its_own_threshold():
    circuit = qec.generate_circuit(3, 12, basis="z", noise="uniform:0.008")
    dets = circuit.compile_detector_sampler(seed=3).sample(300)
    by_class = [3.0, 3.0, 1.5, 3.0, 1.5, 1.5, 1.5, 1.5, 3.0]
    decoder = qec.Decoder.from_circuit(circuit, model="default", device="cpu", threshold=by_class)
    predictions, _ = _push_all(decoder.stream(300, commit_rounds=20, buffer_rounds=20), dets)
    np.testing.assert_array_equal(predictions, decoder.decode_batch(dets))
    uniform = qec.Decoder.from_circuit(circuit, model="default", device="cpu", threshold=3.0)
    assert (uniform.predecode(dets)[0] != decoder.predecode(dets)[0]).any()  # the rule is not threshold 3


@pytest.mark.parametrize("model", [None, "default"])
def test_long_streams_hold_a_bounded_number_of_rounds(model):
    circuit = qec.generate_circuit(3, 1000, basis="x", noise="uniform:0.002")
    decoder = qec.Decoder.from_circuit(circuit, model=model, device="cpu")
    stream = decoder.stream(2, commit_rounds=4, buffer_rounds=4)
    sampler = circuit.compile_detector_sampler(seed=5)
    dets = sampler.sample(2)
    held = []
    for layer in stream.layer_detectors:
        stream.push(dets[:, layer])
        held.append(stream.layers_held)
    assert stream.finish().shape == (2, 1)
    assert max(held) <= 4 + 4 + 11 + 6  # window + receptive field + one group of decided layers, whatever the length
    assert len(stream._matchings) <= 9
    assert stream.committed_rounds == 1001


def test_bit_packed_and_torch_layers_give_the_same_answer():
    circuit = qec.generate_circuit(3, 6, basis="x", noise="uniform:0.01")
    decoder = qec.Decoder.from_circuit(circuit, model="default", device="cpu")
    dets = circuit.compile_detector_sampler(seed=6).sample(64)
    plain, _ = _push_all(decoder.stream(64, commit_rounds=2, buffer_rounds=2), dets)
    stream = decoder.stream(64, commit_rounds=2, buffer_rounds=2)
    for layer in stream.layer_detectors:
        stream.push(np.packbits(dets[:, layer], axis=1, bitorder="little"), bit_packed=True)
    np.testing.assert_array_equal(stream.finish(), plain)
    stream = decoder.stream(64, commit_rounds=2, buffer_rounds=2)
    for layer in stream.layer_detectors:
        stream.push(torch.as_tensor(dets[:, layer]))
    np.testing.assert_array_equal(stream.finish(), plain)


def test_bad_pushes_are_rejected():
    circuit = qec.generate_circuit(3, 2, basis="x", noise="uniform:0.01")
    stream = qec.Decoder.from_circuit(circuit, model=None).stream(5)
    with pytest.raises(ValueError, match="expected bool \\(5, 4\\)"):
        stream.push(np.zeros((5, 3), dtype=bool))
    with pytest.raises(ValueError, match="values other than 0 and 1"):
        stream.push(np.full((5, 4), 2, dtype=np.uint8))
    with pytest.raises(ValueError, match="only 0 of 3 layers"):
        stream.finish()
    for layer in stream.layer_detectors:
        stream.push(np.zeros((5, len(layer)), dtype=bool))
    with pytest.raises(ValueError, match="were pushed already"):
        stream.push(np.zeros((5, 4), dtype=bool))
    with pytest.raises(ValueError, match="commit_rounds=0"):
        qec.Decoder.from_circuit(circuit, model=None).stream(5, commit_rounds=0)


@pytest.mark.parametrize("basis,noise,model", [("x", "uniform:0.006", "default"), ("z", "si1000:0.003", None)])
def test_a_long_experiment_streams_off_a_short_circuit_exactly(basis, noise, model):
    long = qec.generate_circuit(3, 30, basis=basis, noise=noise)
    dets = long.compile_detector_sampler(seed=1).sample(150)
    whole = qec.Decoder.from_circuit(long, model=model, device="cpu").stream(150, commit_rounds=3, buffer_rounds=3)
    short = qec.Decoder.from_circuit(qec.generate_circuit(3, 9, basis=basis, noise=noise), model=model, device="cpu")
    repeated = short.stream(150, commit_rounds=3, buffer_rounds=3, rounds=30)
    assert [list(ids) for ids in repeated.layer_detectors] == [list(ids) for ids in whole.layer_detectors]
    assert [list(ids) for ids in repeated.layer_detectors[-3:]] == [list(ids) for ids in whole.layer_detectors[28:]]
    np.testing.assert_array_equal(_push_all(repeated, dets)[0], _push_all(whole, dets)[0])


def test_a_stream_refuses_a_circuit_it_cannot_repeat():
    short = qec.Decoder.from_circuit(qec.generate_circuit(3, 5, basis="x", noise="uniform:0.004"), model=None)
    with pytest.raises(ValueError, match="at least 6 rounds"):
        short.stream(4, rounds=100)
    circuit = qec.generate_circuit(3, 9, basis="x", noise="uniform:0.004")
    with pytest.raises(ValueError, match="decode that circuit instead"):
        qec.Decoder.from_circuit(circuit, model=None).stream(4, rounds=5)
    # One error of the middle round made likelier: the rounds no longer repeat.
    dem = circuit.detector_error_model(decompose_errors=True).flattened()
    qec.Decoder.from_detector_error_model(dem, model=None).stream(4, rounds=100)  # repeats as it is
    graph = qec.DecodingGraph.from_dem(dem)
    layer, middle = graph.detector_voxels[:, 0], graph.grid_shape[0] // 2
    changed, edited = False, stim.DetectorErrorModel()
    for inst in dem:
        if (not changed and inst.type == "error"
                and all(t.is_relative_detector_id() and layer[t.val] == middle for t in inst.targets_copy()
                        if not t.is_separator() and not t.is_logical_observable_id())):
            inst, changed = stim.DemInstruction("error", [0.1], inst.targets_copy()), True
        edited.append(inst)
    assert changed
    with pytest.raises(ValueError, match="does not repeat"):
        qec.Decoder.from_detector_error_model(edited, model=None).stream(4, rounds=100)
