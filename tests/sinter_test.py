import pickle

import numpy as np
import sinter

import qec


def _task(basis="x", d=3, p=0.01):
    circuit = qec.generate_circuit(d, d, basis=basis, noise=f"uniform:{p}")
    return circuit, sinter.Task(circuit=circuit, json_metadata={"d": d, "basis": basis, "p": p})


def test_sinter_predictions_equal_direct_decoding():
    circuit, _ = _task(d=5, p=0.008)
    dem = circuit.detector_error_model(decompose_errors=True)
    dets, obs = circuit.compile_detector_sampler(seed=3).sample(2000, separate_observables=True)
    for name, options in (("qec-pipeline", {}), ("qec-pipeline-correlated", {"correlated": True}),
                          ("qec-pipeline-reweighted", {"reweight": True}),
                          ("qec-pipeline-reweighted-shortcut", {"reweight": True, "shortcut": True}),
                          ("qec-pipeline-reweighted-correlated", {"reweight": True, "correlated": True})):
        via_sinter = sinter.predict_observables(dem=dem, dets=dets, decoder=name, custom_decoders=qec.sinter_decoders())
        direct = qec.Decoder.from_circuit(circuit, model="default", device="cpu", **options).decode_batch(dets)
        np.testing.assert_array_equal(via_sinter, direct)


def test_sinter_passes_the_precision_on():
    circuit, _ = _task(d=5, p=0.008)
    dem = circuit.detector_error_model(decompose_errors=True)
    dets = circuit.compile_detector_sampler(seed=6).sample(500)
    decoders = qec.sinter_decoders(precision="bfloat16")
    compiled = pickle.loads(pickle.dumps(decoders["qec-pipeline"])).compile_decoder_for_dem(dem=dem)
    assert compiled.decoder.precision == "bfloat16"
    via_sinter = sinter.predict_observables(dem=dem, dets=dets, decoder="qec-pipeline", custom_decoders=decoders)
    direct = qec.Decoder.from_circuit(circuit, device="cpu", precision="bfloat16").decode_batch(dets)
    np.testing.assert_array_equal(via_sinter, direct)


def test_sinter_collect_counts_agree_with_direct_decoding():
    circuit, task = _task(d=3, p=0.01)
    stats = sinter.collect(num_workers=1, tasks=[task], decoders=["qec-pipeline", "qec-pymatching"], max_shots=4000,
                           custom_decoders=qec.sinter_decoders())
    by = {s.decoder: s for s in stats}
    assert by["qec-pipeline"].shots == 4000
    dets, obs = circuit.compile_detector_sampler(seed=11).sample(4000, separate_observables=True)
    direct = int(np.any(qec.Decoder.from_circuit(circuit, device="cpu").decode_batch(dets) != obs, axis=1).sum())
    # Different shots: the counts agree within binomial error bars (5 sigma of the difference).
    sigma = np.sqrt(by["qec-pipeline"].errors + direct + 1)
    assert abs(by["qec-pipeline"].errors - direct) < 5 * sigma


def test_decoders_pickle_and_the_baseline_is_pymatching():
    decoders = qec.sinter_decoders()
    for decoder in decoders.values():
        pickle.loads(pickle.dumps(decoder))
    circuit, _ = _task(d=3)
    dem = circuit.detector_error_model(decompose_errors=True)
    dets = circuit.compile_detector_sampler(seed=4).sample(500)
    ours = sinter.predict_observables(dem=dem, dets=dets, decoder="qec-pymatching", custom_decoders=decoders)
    ref = sinter.predict_observables(dem=dem, dets=dets, decoder="pymatching")
    np.testing.assert_array_equal(ours, ref)


def test_sinter_command_line_finds_the_decoders(tmp_path):
    import subprocess
    import sys
    circuit_path = tmp_path / "d=3,p=0.01.stim"
    circuit_path.write_text(str(qec.generate_circuit(3, 3, noise="uniform:0.01")))
    out = tmp_path / "stats.csv"
    # The `sinter` console script, run by this interpreter.
    launcher = "import sys; from sinter._command._main import main; sys.exit(main())"
    subprocess.run([sys.executable, "-c", launcher, "collect", "--processes", "1", "--circuits", str(circuit_path),
                    "--metadata_func", "auto", "--decoders", "qec-pipeline", "--max_shots", "500",
                    "--save_resume_filepath", str(out), "--custom_decoders_module_function", "qec:sinter_decoders"],
                   check=True, capture_output=True, timeout=300)
    stats = sinter.read_stats_from_csv_files(out)
    assert sum(s.shots for s in stats) == 500 and all(s.decoder == "qec-pipeline" for s in stats)
