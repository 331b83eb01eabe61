import contextlib
import io
import json

import pytest
import torch

import qec
from qec._command._main import main

KEYS = {"decoder", "distance", "rounds", "basis", "noise", "shots", "errors", "ler_shot", "ler_round", "seconds",
        "us_per_round", "density_in", "density_residual"}


def run(args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(command_line_args=args) == 0
    return out.getvalue()


def test_ler_json_decodes_the_same_shots_with_each_decoder():
    text = run(["ler", "--distance", "3", "--rounds", "3", "--basis", "x", "--noise", "uniform:0.01", "--shots", "300",
                "--seed", "1", "--decoders", "pymatching,pymatching-correlated,pipeline,pipeline-correlated,pipeline-reweighted,"
                "pipeline-reweighted-shortcut,pipeline-reweighted-correlated", "--json", "--no-progress"])
    rows = [json.loads(line) for line in text.splitlines()]
    assert [r["decoder"] for r in rows] == ["pymatching", "pymatching-correlated", "pipeline", "pipeline-correlated",
                                            "pipeline-reweighted", "pipeline-reweighted-shortcut", "pipeline-reweighted-correlated"]
    for r in rows:
        assert KEYS <= set(r)
        assert r["shots"] == 300 and 0 <= r["errors"] <= 300
        assert r["ler_shot"] == r["errors"] / 300
    assert rows[0]["density_residual"] is None and rows[2]["density_residual"] < rows[2]["density_in"]
    assert len({r["density_in"] for r in rows}) == 1  # the same shots
    assert rows[0]["precision"] is None and rows[2]["precision"] == "float32"  # the CPU's default
    assert rows[0]["device"] is None and rows[2]["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    errors = {r["decoder"]: r["errors"] for r in rows}
    for r in rows[2:]:  # paired counts: the difference of the discordant shots is the difference of the errors
        assert r["paired_reference"] == ("pymatching-correlated" if r["decoder"].endswith("-correlated") else "pymatching")
        assert r["only_this_fails"] - r["only_reference_fails"] == errors[r["decoder"]] - errors[r["paired_reference"]]
        assert 0 < r["paired_p_value"] <= 1
    assert "paired_reference" not in rows[0] and "paired_reference" not in rows[1]


def test_ler_is_reproducible_with_a_seed():
    args = ["ler", "--distance", "3", "--rounds", "2", "--noise", "si1000:0.004", "--shots", "200", "--seed", "3",
            "--decoders", "pymatching", "--json", "--no-progress"]
    a, b = json.loads(run(args)), json.loads(run(args))
    assert a["errors"] == b["errors"] and a["density_in"] == b["density_in"]


def test_ler_samples_per_qubit_noise_given_as_text():
    base = ["ler", "--distance", "5", "--rounds", "5", "--shots", "4000", "--seed", "3", "--decoders", "pymatching",
            "--json", "--no-progress", "--noise"]
    uniform = json.loads(run(base + ["uniform:0.004"]))
    per_qubit = json.loads(run(base + ["uniform:0.004+lognormal:1:3"]))
    assert per_qubit["noise"] == "uniform:0.004+lognormal:1:3"
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 5, basis="x", noise="uniform:0.004+lognormal:1:3"))
    assert per_qubit["density_in"] == pytest.approx(graph.expected_density, rel=0.03)
    assert graph.expected_density > 1.2 * uniform["density_in"]  # the factors' mean is e^(1/2)


def test_ler_skip_shots_extends_a_run_by_the_next_shots():
    base = ["ler", "--distance", "3", "--rounds", "3", "--noise", "uniform:0.02", "--seed", "4",
            "--decoders", "pymatching", "--json", "--no-progress"]
    whole = json.loads(run(base + ["--shots", "10000"]))
    first = json.loads(run(base + ["--shots", "5000"]))
    rest = json.loads(run(base + ["--shots", "5000", "--skip-shots", "5000"]))
    assert rest["skip_shots"] == 5000 and first["density_in"] != rest["density_in"]  # other shots
    assert first["errors"] + rest["errors"] == whole["errors"]
    with pytest.raises(SystemExit, match="multiple of 5000"):
        main(command_line_args=base + ["--shots", "10", "--skip-shots", "100"])


def test_ler_max_errors_stops_once_every_decoder_has_that_many():
    base = ["ler", "--distance", "3", "--rounds", "3", "--noise", "uniform:0.02", "--seed", "4",
            "--decoders", "pymatching,pipeline", "--json", "--no-progress"]
    def rows(args):
        return {r["decoder"]: r for r in map(json.loads, run(base + args).splitlines())}
    first, two = rows(["--shots", "5000"]), rows(["--shots", "10000"])
    fewest = min(r["errors"] for r in first.values())
    stopped = rows(["--shots", "20000", "--max-errors", str(fewest)])  # both decoders have that many after 5,000
    assert {r["shots"] for r in stopped.values()} == {5000} and stopped["pipeline"]["max_errors"] == fewest
    assert {k: r["errors"] for k, r in stopped.items()} == {k: r["errors"] for k, r in first.items()}
    more = rows(["--shots", "20000", "--max-errors", str(fewest + 1)])  # one decoder is short: another chunk
    assert {r["shots"] for r in more.values()} == {10000}
    assert {k: (r["errors"], r["only_this_fails"] if "only_this_fails" in r else None) for k, r in more.items()} == \
        {k: (r["errors"], r["only_this_fails"] if "only_this_fails" in r else None) for k, r in two.items()}
    capped = rows(["--shots", "7000", "--max-errors", "100000"])  # never reached: --shots caps the run
    assert {r["shots"] for r in capped.values()} == {7000}
    with pytest.raises(SystemExit, match="max-errors=0"):
        main(command_line_args=base + ["--shots", "10", "--max-errors", "0"])


def test_ler_samples_a_circuit_file_as_it_samples_the_generated_experiment(tmp_path, capsys):
    path = tmp_path / "mine.stim"
    path.write_text(str(qec.generate_circuit(3, 4, basis="z", noise="uniform:0.01")))
    common = ["--shots", "5000", "--seed", "7", "--decoders", "pymatching,pipeline", "--json", "--no-progress"]
    generated = [json.loads(line) for line in run(["ler", "--distance", "3", "--rounds", "4", "--basis", "z",
                                                   "--noise", "uniform:0.01"] + common).splitlines()]
    from_file = [json.loads(line) for line in run(["ler", "--circuit", str(path)] + common).splitlines()]
    for g, f in zip(generated, from_file):
        assert f["circuit"] == str(path) and f["distance"] is None and f["noise"] is None and f["rounds"] == 4
        same = ("errors", "density_in", "density_residual", "ler_round", "only_this_fails", "only_reference_fails")
        assert [f.get(k) for k in same] == [g.get(k) for k in same]
    assert run(["ler", "--circuit", str(path), "--rounds", "8"] + common).count('"rounds": 8') == 2
    assert "the detector coordinates show 4 rounds" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="--distance, --noise do not apply"):
        main(command_line_args=["ler", "--circuit", str(path), "--distance", "3", "--noise", "uniform:0.01", "--shots", "10"])
    with pytest.raises(SystemExit, match="give --rounds"):
        main(command_line_args=["ler", "--distance", "3", "--shots", "10"])
    bad = tmp_path / "bad.stim"
    bad.write_text("H 0 q")
    with pytest.raises(SystemExit, match="is not a Stim circuit"):
        main(command_line_args=["ler", "--circuit", str(bad), "--shots", "10"])
    with pytest.raises(SystemExit, match="is not a file"):
        main(command_line_args=["ler", "--circuit", str(tmp_path), "--shots", "10"])


def test_unknown_decoder_lists_the_available_ones():
    with pytest.raises(SystemExit, match="available: pymatching, pymatching-correlated"):
        main(command_line_args=["ler", "--distance", "3", "--rounds", "3", "--shots", "10", "--decoders", "magic"])


def test_unknown_command_lists_the_available_ones():
    with pytest.raises(SystemExit, match="available: demo, ler, decode, train, learn-noise, bench"):
        main(command_line_args=["frobnicate"])


def test_demo_prints_both_side_by_side():
    text = run(["demo", "--distance", "3", "--rounds", "3", "--shots", "200", "--no-progress"])
    assert "pymatching" in text and "pipeline" in text and "the errors of pymatching" in text
    assert ("ran on the CPU here" in text) != torch.cuda.is_available()  # the note says where the network ran


def test_bench_reports_every_stage():
    row = json.loads(run(["bench", "--distance", "3", "--rounds", "3", "--shots", "100", "--repeats", "1", "--json",
                          "--reweighted", "--matching-workers", "1", "--precision", "bfloat16", "--threshold", "2.5",
                          "--stream"]))
    for key in ("pipeline_stream_us_per_round", "pymatching_stream_us_per_round",
                "pymatching_parallel_us_per_round", "reweighted_matching_us_per_round", "pipeline_reweighted_us_per_round",
                "reweighted_shortcut_matching_us_per_round", "pipeline_reweighted_shortcut_us_per_round", "pymatching_us_per_round", "pymatching_correlated_us_per_round", "predecoder_us_per_round",
                "residual_matching_us_per_round", "pipeline_us_per_round", "density_in", "density_residual",
                "batch_size", "device", "device_name", "torch_threads"):
        assert key in row
    assert row["cpu_capability"] in ("DEFAULT", "NO AVX", "AVX2", "AVX512", "VSX", "Z VECTOR", "SVE256")
    assert isinstance(row["cpu_native_bfloat16"], bool)
    assert 0 < row["residual_to_raw_matching_cpu_time_ratio"] < float("inf")  # one repeat of µs: no tighter bound holds
    assert row["pipeline_us_per_round"] > 0 and row["density_residual"] < row["density_in"]
    assert row["precision"] == "bfloat16" and row["device"] == "cpu" and row["threshold"] == 2.5


def test_ler_stream_decoders_run_on_the_same_shots():
    text = run(["ler", "--distance", "3", "--rounds", "8", "--noise", "uniform:0.01", "--shots", "200", "--seed", "2",
                "--decoders", "pymatching,pymatching-stream,pipeline-stream", "--commit-rounds", "2",
                "--buffer-rounds", "3", "--json", "--no-progress"])
    rows = {r["decoder"]: r for r in map(json.loads, text.splitlines())}
    assert rows["pymatching-stream"]["commit_rounds"] == 2
    base = rows["pymatching"]["errors"]
    for name in ("pymatching-stream", "pipeline-stream"):
        assert abs(rows[name]["errors"] - base) <= 3 * base ** 0.5 + 3


@pytest.mark.parametrize("args, match", [
    (["--model", "no/such/model.pt"], "neither a shipped model"),
    (["--noise", "uniform"], "not of the form"),
    (["--decoder-dem", "no/such.dem"], "qec ler: no/such.dem does not exist"),
])
def test_ler_explains_bad_arguments(args, match):
    base = ["ler", "--distance", "3", "--rounds", "3", "--shots", "10", "--decoders", "pipeline", "--no-progress"]
    with pytest.raises(SystemExit, match=match):
        main(command_line_args=base + args)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("command", [["bench", "--repeats", "1"], ["ler", "--no-progress"], ["train", "--steps=1"]])
def test_a_cuda_device_that_is_not_there_is_explained(command, tmp_path):
    args = ([f"--out_dir={tmp_path}", "--device=cuda", "--progress=false"] if command[0] == "train" else
            ["--distance", "3", "--rounds", "3", "--shots", "10", "--device", "cuda"])
    with pytest.raises(SystemExit, match=f"qec {command[0]}: device='cuda', but this PyTorch sees no CUDA device"):
        main(command_line_args=command + args)


def test_learn_noise_explains_a_mismatched_reference(tmp_path):
    import numpy as np
    circuit = qec.generate_circuit(3, 3, noise="uniform:0.01")
    (tmp_path / "c.stim").write_text(str(circuit))
    np.save(tmp_path / "e.npy", np.zeros((10, 7), dtype=bool))
    with pytest.raises(SystemExit, match="is it the experiment this circuit describes"):
        main(command_line_args=["learn-noise", "--events", str(tmp_path / "e.npy"), "--reference",
                                str(tmp_path / "c.stim"), "--out", str(tmp_path / "l.dem")])
    (tmp_path / "notes.txt").write_text("error(0.1) D0 D1 and then some prose\n")
    with pytest.raises(SystemExit, match="qec learn-noise: .*notes.txt is neither a detector error model nor a Stim"):
        main(command_line_args=["learn-noise", "--events", str(tmp_path / "e.npy"), "--reference",
                                str(tmp_path / "notes.txt"), "--out", str(tmp_path / "l.dem")])


def test_ler_threshold_sets_the_hard_pipelines_threshold_and_keeps_runs_apart():
    from qec._command._main_ler import merge_rows
    base = ["ler", "--distance", "3", "--rounds", "3", "--noise", "uniform:0.02", "--seed", "7", "--shots", "500",
            "--decoders", "pymatching,pipeline,pipeline-correlated", "--json", "--no-progress"]
    shipped = {r["decoder"]: r for r in map(json.loads, run(base).splitlines())}
    loose = {r["decoder"]: r for r in map(json.loads, run(base + ["--threshold", "-5"]).splitlines())}
    assert shipped["pipeline"]["threshold"] == 3.0 and loose["pipeline"]["threshold"] == -5.0  # the default's 3
    assert loose["pipeline"]["density_residual"] < shipped["pipeline"]["density_residual"]  # commits more
    for key in ("errors", "density_residual"):  # the correlated pipeline keeps the model's threshold
        assert loose["pipeline-correlated"][key] == shipped["pipeline-correlated"][key]
    assert shipped["pymatching"]["threshold"] is None
    merged = merge_rows([shipped["pipeline"], dict(loose["pipeline"], skip_shots=500)])
    assert len(merged) == 2  # two thresholds are two runs, not one of 1,000 shots


def test_ler_takes_a_threshold_per_edge_class_and_rejects_a_wrong_count():
    base = ["ler", "--distance", "3", "--rounds", "3", "--noise", "uniform:0.02", "--seed", "7", "--shots", "500",
            "--decoders", "pymatching,pipeline", "--json", "--no-progress"]
    rule = {r["decoder"]: r for r in map(json.loads, run(base + ["--threshold", "3,3,1.5,3,1.5,1.5,1.5,1.5,3"]).splitlines())}
    uniform = {r["decoder"]: r for r in map(json.loads, run(base + ["--threshold", "3"]).splitlines())}
    assert rule["pipeline"]["threshold"] == [3, 3, 1.5, 3, 1.5, 1.5, 1.5, 1.5, 3]
    assert rule["pipeline"]["density_residual"] < uniform["pipeline"]["density_residual"]  # more commits
    with pytest.raises(SystemExit, match="one per edge class"):
        run(base + ["--threshold", "3,2"])
    with pytest.raises(SystemExit):
        run(base + ["--threshold", "3,low"])


def test_merged_parts_equal_the_whole_run():
    from qec._command._main_ler import merge_rows
    base = ["ler", "--distance", "3", "--rounds", "3", "--noise", "uniform:0.02", "--seed", "6",
            "--decoders", "pymatching,pymatching-correlated,pipeline-correlated", "--json", "--no-progress"]
    whole = [json.loads(line) for line in run(base + ["--shots", "10000"]).splitlines()]
    parts = [json.loads(line) for args in (["--shots", "5000"], ["--shots", "5000", "--skip-shots", "5000"])
             for line in run(base + args).splitlines()]
    merged = {r["decoder"]: r for r in merge_rows(parts)}
    assert all(r["skip_shots"] == 0 for r in merged.values())
    for w in whole:
        m = merged[w["decoder"]]
        for key in ("shots", "errors", "ler_shot_low", "ler_round_high", "only_this_fails", "paired_p_value"):
            assert m.get(key) == w.get(key), key
        assert m["density_in"] == pytest.approx(w["density_in"])
    with pytest.raises(ValueError, match="consecutive"):
        merge_rows(parts[:3] + [dict(r, skip_shots=10000) for r in parts[3:]])


def test_ler_notes_when_the_hard_threshold_meets_noise_the_model_was_not_trained_on(capsys, tmp_path):
    model = qec.PreDecoder.load("default")
    model.threshold_by_timelike_ratio = []
    model.save(tmp_path / "no_kind_rule.pt")
    model.threshold_by_timelike_ratio = [(2.3, 5.0)]
    model.save(tmp_path / "kind_rule.pt")
    base = ["ler", "--distance", "3", "--rounds", "3", "--shots", "50", "--decoders", "pymatching,pipeline", "--json",
            "--no-progress", "--model", str(tmp_path / "no_kind_rule.pt")]
    run(base + ["--noise", "si1000:0.003"])
    assert "trained on uniform noise, not si1000" in capsys.readouterr().err
    run(base + ["--noise", "uniform:0.003"])
    assert "note:" not in capsys.readouterr().err
    run(base + ["--noise", "si1000:0.003", "--threshold", "4"])  # the user chose the threshold
    assert "note:" not in capsys.readouterr().err
    run(base[:-1] + [str(tmp_path / "kind_rule.pt"), "--noise", "si1000:0.003"])  # a threshold tuned for this kind
    assert "note:" not in capsys.readouterr().err


@pytest.mark.parametrize("events_format, obs_format, out_format", [("b8", "01", "01"), ("01", "npy", "b8"),
                                                                  ("npy", "b8", "npy")])
def test_decode_writes_what_the_decoder_predicts_and_counts_errors_against_pymatching(
        tmp_path, events_format, obs_format, out_format):
    import numpy as np
    import stim
    circuit = qec.generate_circuit(5, 5, basis="z", noise="uniform:0.008")
    dets, obs = circuit.compile_detector_sampler(seed=11).sample(2000, separate_observables=True)
    (tmp_path / "c.stim").write_text(str(circuit))
    for name, data, kind in (("dets", dets, "num_detectors"), ("obs", obs, "num_observables")):
        fmt = events_format if name == "dets" else obs_format
        if fmt == "npy":
            np.save(tmp_path / f"{name}.npy", data)
        else:
            stim.write_shot_data_file(data=data, path=str(tmp_path / f"{name}.{fmt}"), format=fmt, **{kind: data.shape[1]})
    out = tmp_path / f"pred.{out_format}"
    rows = [json.loads(line) for line in run(
        ["decode", "--circuit", str(tmp_path / "c.stim"), "--events", str(tmp_path / f"dets.{events_format}"),
         "--obs", str(tmp_path / f"obs.{obs_format}"), "--out", str(out), "--json", "--no-progress"]).splitlines()]
    expected = qec.Decoder.from_circuit(circuit, device="cpu").decode_batch(dets)
    np.testing.assert_array_equal(qec.read_observables(out, num_observables=1), expected)
    pipeline, alone = rows
    assert (pipeline["decoder"], alone["decoder"], pipeline["shots"], pipeline["rounds"]) == ("pipeline", "pymatching", 2000, 5)
    assert pipeline["errors"] == int(np.any(expected != obs, axis=1).sum()) > 0
    matched = qec.Matcher(circuit.detector_error_model(decompose_errors=True)).decode_batch(dets)
    assert alone["errors"] == int(np.any(matched != obs, axis=1).sum())
    assert pipeline["only_this_fails"] - pipeline["only_reference_fails"] == pipeline["errors"] - alone["errors"]
    assert pipeline["density_residual"] < pipeline["density_in"] == pytest.approx(dets.mean())


def test_decode_notes_rounds_that_differ_from_the_detector_coordinates(tmp_path, capsys):
    import numpy as np
    circuit = qec.generate_circuit(3, 5, basis="x", noise="uniform:0.01")
    (tmp_path / "c.stim").write_text(str(circuit))
    np.save(tmp_path / "dets.npy", circuit.compile_detector_sampler(seed=1).sample(50))
    base = ["decode", "--circuit", str(tmp_path / "c.stim"), "--events", str(tmp_path / "dets.npy"),
            "--out", str(tmp_path / "p.01"), "--json", "--no-progress"]
    assert json.loads(run(base).splitlines()[0])["rounds"] == 5
    assert "note" not in capsys.readouterr().err
    assert json.loads(run(base + ["--rounds", "3"]).splitlines()[0])["rounds"] == 3
    assert "--rounds 3, but the detector coordinates show 5 rounds" in capsys.readouterr().err


def test_decode_explains_bad_files(tmp_path):
    import numpy as np
    circuit = qec.generate_circuit(3, 3, basis="x", noise="uniform:0.01")
    (tmp_path / "c.stim").write_text(str(circuit))
    np.save(tmp_path / "dets.npy", np.zeros((10, circuit.num_detectors), dtype=bool))
    np.save(tmp_path / "obs.npy", np.zeros((9, 1), dtype=bool))
    base = ["decode", "--circuit", str(tmp_path / "c.stim"), "--events", str(tmp_path / "dets.npy"), "--no-progress"]
    for extra, match in ((["--obs", str(tmp_path / "obs.npy")], "holds 9 shots; .* holds 10"),
                         (["--out", str(tmp_path / "pred.csv")], "format 'csv' is unknown"),
                         ([], "nothing to do"),
                         (["--out", str(tmp_path / "p.01"), "--decoder", "pymatching", "--threshold", "2"],
                          "does not apply to pymatching")):
        with pytest.raises(SystemExit, match=match):
            main(command_line_args=base + extra)
    np.save(tmp_path / "dets.npy", np.zeros((10, 5), dtype=bool))
    with pytest.raises(SystemExit, match="expected bool or 0/1 integers \\(num_shots, 24\\)"):
        main(command_line_args=base + ["--out", str(tmp_path / "pred.01")])
    binary = ["decode", "--circuit", str(tmp_path / "dets.npy"), "--events", str(tmp_path / "dets.npy"),
              "--out", str(tmp_path / "pred.01"), "--no-progress"]
    with pytest.raises(SystemExit, match="qec decode: .*dets.npy is not text; expected a detector error model"):
        main(command_line_args=binary)
    with pytest.raises(SystemExit, match="qec decode: .* is not a file"):
        main(command_line_args=binary[:2] + [str(tmp_path)] + binary[3:])


def test_models_lists_every_shipped_model_with_its_card_and_its_threshold_on_a_circuit():
    import os
    rows = [json.loads(line) for line in run(["models", "--distance", "9", "--rounds", "9", "--noise", "si1000:0.003",
                                              "--json"]).splitlines()]
    assert [r["model"] for r in rows] == list(qec._predecoder.SHIPPED_MODELS)
    circuit = qec.generate_circuit(9, 9, basis="x", noise="si1000:0.003")
    for row in rows:
        model = qec.PreDecoder.load(row["model"])
        assert row["parameters"] == sum(p.numel() for p in model.net.parameters())
        assert row["threshold"] == qec.Decoder.from_circuit(circuit, model=model, device="cpu").threshold
        assert os.path.isfile(row["card"]) and row["card"].endswith(f"{row['model']}.md")
    assert rows[0]["threshold"] != qec.Decoder.from_circuit(  # the rule by the kind of noise, not by density
        qec.generate_circuit(9, 9, basis="x", noise="uniform:0.003"), device="cpu").threshold
    table = run(["models"])
    assert "accurate-mlp" in table and "658,569" in table and "threshold" not in table
    with pytest.raises(SystemExit, match="give --distance and --rounds together"):
        main(command_line_args=["models", "--distance", "9"])


def test_models_shows_the_thresholds_on_a_circuit_file(tmp_path):
    path = tmp_path / "mine.stim"
    path.write_text(str(qec.generate_circuit(9, 9, basis="x", noise="si1000:0.003")))
    from_file = [json.loads(line)["threshold"] for line in run(["models", "--circuit", str(path), "--json"]).splitlines()]
    generated = [json.loads(line)["threshold"] for line in run(["models", "--distance", "9", "--rounds", "9", "--noise",
                                                                "si1000:0.003", "--json"]).splitlines()]
    assert from_file == generated
    with pytest.raises(SystemExit, match="not both"):
        main(command_line_args=["models", "--circuit", str(path), "--distance", "9", "--rounds", "9"])
