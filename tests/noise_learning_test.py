import json
import warnings

import numpy as np
import pymatching
import pytest
import stim

import qec
from qec._command._main import main

SMALL_DEM = stim.DetectorErrorModel("""
    error(0.10) D0 D1
    error(0.05) D0
    error(0.02) D1 D2 L0
    error(0.03) D2
    error(0.04) D0 D1 ^ D2 D3
    error(0.06) D3
    detector(0, 0, 0) D0
    detector(2, 0, 0) D1
    detector(4, 0, 0) D2
    detector(6, 0, 0) D3
""")


def test_known_probabilities_are_recovered_within_standard_errors():
    dets = SMALL_DEM.compile_sampler(seed=1).sample(200_000)[0]
    learned = qec.learn_noise(dets, SMALL_DEM)
    truth = np.array([0.10, 0.05, 0.02, 0.03, 0.04, 0.06])
    z = (learned.probabilities - truth) / learned.standard_errors
    assert np.all(np.abs(z) < 4), z
    assert np.all(learned.standard_errors < 0.003)


def test_surface_code_per_qubit_noise_z_scores_are_calibrated():
    base = qec.generate_circuit(3, 3, basis="z", noise="uniform:0.004")
    factors = qec.qubit_factors_lognormal(base, sigma=1.0, seed=2)
    circuit = qec.generate_circuit(3, 3, basis="z", noise=qec.NoiseModel("uniform", 0.004, qubit_factors=factors))
    dem = circuit.detector_error_model(decompose_errors=True)
    dets = dem.compile_sampler(seed=3).sample(100_000)[0]
    # The reference is the *nominal* uniform model: structure only, wrong probabilities.
    learned = qec.learn_noise(dets, base)
    nominal = learned.reference_probabilities
    truth = qec.EventStatistics(dem).reference_probabilities  # same mechanisms, same order
    z = (learned.probabilities - truth) / learned.standard_errors
    well_measured = learned.probabilities > 10 * learned.standard_errors.min()
    assert 0.8 < np.std(z[well_measured]) < 1.25
    assert abs(np.mean(z[well_measured])) < 0.2
    assert np.mean(np.abs(z) > 4) < 0.01
    # boundary edges (one detector) too
    boundary = learned.sizes == 1
    assert np.all(np.abs(z[boundary]) < 4.5)
    assert not np.allclose(nominal, truth)


def test_learned_dem_decodes_with_pymatching_both_ways():
    circuit = qec.generate_circuit(3, 3, noise="uniform:0.01")
    dets = circuit.compile_detector_sampler(seed=4).sample(20_000)
    dem = qec.learn_noise(dets, circuit).to_dem()
    assert dem.num_detectors == circuit.num_detectors
    assert dem.get_detector_coordinates() == circuit.get_detector_coordinates()
    for correlated in (False, True):
        m = pymatching.Matching.from_detector_error_model(dem, enable_correlations=correlated)
        assert m.decode_batch(dets[:10], enable_correlations=correlated).shape == (10, 1)


def test_a_learned_dem_tells_the_kind_of_noise_that_picks_the_hard_threshold():
    reference = qec.generate_circuit(5, 5, basis="x", noise="uniform:0.004")  # structure known, noise not
    learned = {}
    for noise in ("uniform:0.004", "si1000:0.003"):
        circuit = qec.generate_circuit(5, 5, basis="x", noise=noise)
        dets = circuit.compile_detector_sampler(seed=5).sample(100_000)
        graph = qec.DecodingGraph.from_dem(qec.learn_noise(dets, reference, pool=True).to_dem())
        assert graph.timelike_ratio == pytest.approx(qec.DecodingGraph.from_circuit(circuit).timelike_ratio, abs=0.1)
        learned[noise] = graph
    model = qec.PreDecoder.load("default")
    model.threshold_by_timelike_ratio = [(2.2, 4.5)]
    model.threshold_floor_by_noise_spread = []  # this test is about the kind; the next about the spread
    assert model.bind(learned["si1000:0.003"]).threshold == 4.5  # SI1000 seen through the learned DEM
    assert model.bind(learned["uniform:0.004"]).threshold == model.threshold_at(learned["uniform:0.004"].expected_density)


def test_a_learned_dem_tells_how_much_the_noise_varies_across_qubits():
    reference = qec.generate_circuit(5, 5, basis="x", noise="uniform:0.004")
    factors = qec.qubit_factors_lognormal(qec.generate_circuit(5, 5, basis="x", noise="uniform:0"), sigma=1.0, seed=0)
    spreads = {}
    for name, noise in (("uniform", "uniform:0.004"), ("per-qubit", qec.NoiseModel("uniform", 0.004, qubit_factors=factors))):
        circuit = qec.generate_circuit(5, 5, basis="x", noise=noise)
        dets = circuit.compile_detector_sampler(seed=5).sample(100_000)
        learned = qec.DecodingGraph.from_dem(qec.learn_noise(dets, reference, pool=True).to_dem())
        spreads[name] = (learned.noise_spread, qec.DecodingGraph.from_circuit(circuit).noise_spread)
    # The fit's own scatter reads about 0.12 under uniform noise: below the shipped floors' 0.25.
    assert spreads["uniform"][1] < 0.002 and spreads["uniform"][0] < 0.2
    assert spreads["per-qubit"][0] == pytest.approx(spreads["per-qubit"][1], abs=0.05)


def test_mechanisms_that_never_happen_are_clipped_to_the_floor():
    reference = SMALL_DEM.copy()
    reference.append("error", 0.01, [stim.target_relative_detector_id(1), stim.target_relative_detector_id(3)])
    dets = SMALL_DEM.compile_sampler(seed=5).sample(50_000)[0]
    learned = qec.learn_noise(dets, reference)
    assert learned.probabilities[-1] < 3 * learned.standard_errors[-1] + 1e-5
    assert learned.probabilities.min() >= 0.1 / 50_000
    # Detectors that never fire leave everything at the floor, not NaN.
    with pytest.warns(UserWarning, match="6 of 6 learned probabilities"):
        silent = qec.learn_noise(np.zeros((1000, 4), dtype=bool), SMALL_DEM)
    assert np.all(np.isfinite(silent.probabilities)) and silent.clipped == 6


def test_too_few_shots_for_the_dem_are_warned_about():
    circuit = qec.generate_circuit(3, 3, basis="x", noise="uniform:0.01")
    dets = circuit.compile_detector_sampler(seed=7).sample(20_000)
    with pytest.warns(UserWarning, match="200 shots are too few") as record:
        few = qec.learn_noise(dets[:200], circuit)
    assert few.clipped > 0.2 * len(few.probabilities)
    assert record[0].filename == __file__  # the warning points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enough = qec.learn_noise(dets, circuit)
    assert enough.clipped < 0.05 * len(enough.probabilities)


def test_chunked_streaming_equals_one_pass_and_torch_counts_equal_numpy():
    dets = SMALL_DEM.compile_sampler(seed=6).sample(30_000)[0]
    a = qec.EventStatistics(SMALL_DEM, blocks=4)
    for chunk in np.array_split(dets, 4):
        a.update(chunk)
    b = qec.EventStatistics(SMALL_DEM, blocks=4, device="cpu")
    for chunk in np.array_split(dets, 4):
        b.update(np.packbits(chunk, axis=1, bitorder="little"), bit_packed=True)
    np.testing.assert_array_equal(a._odd, b._odd)
    whole = qec.learn_noise(dets, SMALL_DEM).probabilities
    np.testing.assert_allclose(a.learn().probabilities, whole, rtol=1e-12)


def test_forgetting_follows_drifting_noise():
    before = stim.DetectorErrorModel("error(0.01) D0 D1\ndetector(0,0,0) D0\ndetector(2,0,0) D1")
    after = stim.DetectorErrorModel("error(0.05) D0 D1\ndetector(0,0,0) D0\ndetector(2,0,0) D1")
    stats = qec.EventStatistics(before, forgetting=0.5, blocks=2)
    for k in range(10):
        stats.update(before.compile_sampler(seed=k).sample(20_000)[0])
    for k in range(10):
        stats.update(after.compile_sampler(seed=100 + k).sample(20_000)[0])
    assert stats.learn().probabilities[0] == pytest.approx(0.05, abs=0.005)


@pytest.mark.parametrize("fmt", ["npy", "b8", "01", "r8", "ptb64", "hits", "dets"])
def test_file_formats_round_trip(tmp_path, fmt):
    dets = SMALL_DEM.compile_sampler(seed=7).sample(128)[0]  # ptb64 holds shots in groups of 64
    path = tmp_path / f"events.{fmt}"
    if fmt == "npy":
        np.save(path, dets)
    else:
        stim.write_shot_data_file(data=dets, path=str(path), format=fmt, num_detectors=4)
    np.testing.assert_array_equal(qec.read_events(path, num_detectors=4), dets)


@pytest.mark.parametrize("bad, match", [
    (np.zeros((10, 6), dtype=bool), "do the events come from this circuit"),
    (np.zeros((10, 5), dtype=bool), "4 detectors and 1 observables"),
    (np.zeros((0, 4), dtype=bool), "no shots"),
    (np.zeros(4, dtype=bool), "shape"),
    (np.zeros((10, 4), dtype=np.float64), "dtype=float64"),
])
def test_bad_events_are_rejected(bad, match):
    with pytest.raises(ValueError, match=match):
        qec.learn_noise(bad, SMALL_DEM)


def test_a_shot_file_read_in_chunks_equals_the_whole_and_checks_its_values(tmp_path):
    dets = SMALL_DEM.compile_sampler(seed=9).sample(1000)[0]
    for fmt in ("b8", "npy", "01"):
        path = tmp_path / f"e.{fmt}"
        if fmt == "npy":
            np.save(path, dets.astype(np.uint8))
        else:
            stim.write_shot_data_file(data=dets, path=str(path), format=fmt, num_detectors=4)
        f = qec.ShotFile(path, width=4)
        chunks = list(f.chunks(300))
        assert f.num_shots == 1000 and [len(c) for c in chunks] == [300, 300, 300, 100]
        np.testing.assert_array_equal(np.concatenate(chunks), dets)
    np.save(tmp_path / "int16.npy", dets.astype(np.int16))
    np.testing.assert_array_equal(qec.ShotFile(tmp_path / "int16.npy", width=4).read(), dets)
    for bad in (np.full((10, 4), 3, dtype=np.uint8), np.full((10, 4), -1, dtype=np.int8)):
        np.save(tmp_path / "bad.npy", bad)
        with pytest.raises(ValueError, match=f"holds {bad.dtype} values other than 0 and 1 in shots 0..10"):
            qec.ShotFile(tmp_path / "bad.npy", width=4).read()
    (tmp_path / "short.b8").write_bytes(bytes(7))
    with pytest.raises(ValueError, match="not a whole number of 12-bit shots"):
        qec.ShotFile(tmp_path / "short.b8", width=12)


def test_bad_files_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="format 'csv' is unknown"):
        qec.read_events(tmp_path / "x.csv", num_detectors=4)
    with pytest.raises(ValueError, match="does not exist"):
        qec.read_events(tmp_path / "x.b8", num_detectors=4)
    with pytest.raises(TypeError, match="stim.DetectorErrorModel"):
        qec.EventStatistics("nope")


def test_cli_learns_and_ler_decodes_with_the_learned_dem(tmp_path, capsys):
    circuit = qec.generate_circuit(3, 3, basis="x", noise="uniform:0.01")
    (tmp_path / "c.stim").write_text(str(circuit))
    stim.write_shot_data_file(data=circuit.compile_detector_sampler(seed=8).sample(20_000), path=str(tmp_path / "e.b8"),
                              format="b8", num_detectors=circuit.num_detectors)
    main(command_line_args=["learn-noise", "--events", str(tmp_path / "e.b8"), "--reference", str(tmp_path / "c.stim"),
                            "--out", str(tmp_path / "l.dem"), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["shots"] == 20_000 and summary["detectors"] == 24
    # Read from the file a chunk at a time, it learns exactly what learn_noise learns from the whole array.
    whole = qec.learn_noise(qec.read_events(tmp_path / "e.b8", num_detectors=24), circuit).to_dem()
    assert str(stim.DetectorErrorModel.from_file(tmp_path / "l.dem")) == str(whole)
    assert 0.9 < summary["median_ratio_to_reference"] < 1.1
    main(command_line_args=["ler", "--distance", "3", "--rounds", "3", "--noise", "uniform:0.01", "--shots", "500",
                            "--decoders", "pymatching", "--decoder-dem", str(tmp_path / "l.dem"), "--json", "--no-progress"])
    row = json.loads(capsys.readouterr().out)
    assert row["decoder_dem"].endswith("l.dem") and 0 < row["errors"] < 100


def test_training_from_a_learned_dem(tmp_path):
    circuit = qec.generate_circuit(3, 3, basis="x", noise="uniform:0.02")
    learned = qec.learn_noise(circuit.compile_detector_sampler(seed=9).sample(20_000), circuit).to_dem()
    learned.to_file(tmp_path / "l.dem")
    cfg = qec.TrainConfig.from_dict(dict(out_dir=str(tmp_path / "run"), train_dem=str(tmp_path / "l.dem"), width=4,
                                         depth=1, steps=10, batch_size=16, eval_every=10, eval_shots=100,
                                         progress=False, threads=1))
    model = qec.train(cfg)
    assert model.bind(qec.DecodingGraph.from_dem(learned)) is not None


def test_pooling_across_rounds_averages_bulk_copies_and_shrinks_errors():
    circuit = qec.generate_circuit(3, 8, basis="x", noise="uniform:0.005")
    dets = circuit.compile_detector_sampler(seed=10).sample(50_000)
    plain = qec.learn_noise(dets, circuit)
    pooled = qec.learn_noise(dets, circuit, pool=True)
    changed = pooled.probabilities != plain.probabilities
    assert changed.sum() > len(changed) / 3  # the bulk rounds were pooled
    assert np.all(pooled.standard_errors[changed] < plain.standard_errors[changed])
    # Pooled values sit closer to the truth on average.
    truth = plain.reference_probabilities
    assert np.abs(pooled.probabilities - truth)[changed].mean() < np.abs(plain.probabilities - truth)[changed].mean()
