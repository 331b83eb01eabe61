import dataclasses
import json

import pytest
import torch

import qec
from qec._predecoder import load_checkpoint_file


def _config(tmp_path, **overrides):
    base = dict(out_dir=str(tmp_path / "run"), distance=3, rounds=3, bases="x", noise="uniform:0.02", width=8,
                depth=2, steps=60, batch_size=64, lr=1e-2, warmup_steps=5, eval_every=30, eval_shots=200,
                eval_distance=3, eval_noise="uniform:0.02", progress=False, threads=1)
    base.update(overrides)
    return qec.TrainConfig.from_dict(base)


def _loss(predecoder, graph, seed):
    """Mean BCE against correlated matching's edges (the default teacher) on the eligible edges of fresh shots."""
    import pymatching
    from qec._labels import teacher_labels
    bound = predecoder.bind(graph)
    batch = qec.StimSampler(graph, seed=seed).sample(2000)
    dets = torch.as_tensor(batch.dets)
    logits = bound.edge_logits(dets)
    mask = bound.eligible(dets)
    teacher = pymatching.Matching.from_detector_error_model(graph.dem, enable_correlations=True)
    labels = torch.as_tensor(teacher_labels(graph, teacher, batch.dets))
    return torch.nn.functional.binary_cross_entropy_with_logits(logits[mask], labels[mask].float()).item()


def test_training_reduces_the_loss_and_resumes(tmp_path):
    cfg = _config(tmp_path)
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, basis="x", noise="uniform:0.02"))
    before = qec.PreDecoder.untrained(classes=graph.classes, width=8, depth=2, seed=cfg.seed)
    qec.train(cfg)
    trained = qec.PreDecoder.from_checkpoint(tmp_path / "run" / "ckpt.pt")  # the last step, not the best
    assert _loss(trained, graph, seed=99) < 0.75 * _loss(before, graph, seed=99)
    ckpt = load_checkpoint_file(tmp_path / "run" / "ckpt.pt")
    assert ckpt["step"] == 60 and ckpt["train_config"]["width"] == 8 and "optimizer" in ckpt and "rng" in ckpt
    # Resume continues from step 60 to 80, forcing the checkpoint's architecture.
    resumed = qec.train(_config(tmp_path, init_from="resume", steps=80, width=16))
    assert resumed.net.config.width == 8
    assert load_checkpoint_file(tmp_path / "run" / "ckpt.pt")["step"] == 80


def test_a_new_run_does_not_replace_an_earlier_runs_checkpoint_unless_told(tmp_path):
    qec.train(_config(tmp_path, steps=4, eval_every=2))
    with pytest.raises(ValueError, match="holds a run's checkpoint \\(step 4\\); continue it with init_from=resume"):
        qec.train(_config(tmp_path, steps=2, eval_every=2))
    assert load_checkpoint_file(tmp_path / "run" / "ckpt.pt")["step"] == 4  # untouched
    qec.train(_config(tmp_path, steps=2, eval_every=2, overwrite=True))
    assert load_checkpoint_file(tmp_path / "run" / "ckpt.pt")["step"] == 2
    assert load_checkpoint_file(tmp_path / "run" / "best.pt")["step"] == 2  # the old best is gone too


def test_bfloat16_training_learns_and_really_rounds(tmp_path):
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, basis="x", noise="uniform:0.02"))
    before = qec.PreDecoder.untrained(classes=graph.classes, width=8, depth=2, seed=0)
    qec.train(_config(tmp_path / "bf16", precision="bfloat16"))
    rounded = qec.PreDecoder.from_checkpoint(tmp_path / "bf16" / "run" / "ckpt.pt")
    assert _loss(rounded, graph, seed=99) < 0.75 * _loss(before, graph, seed=99)
    qec.train(_config(tmp_path / "fp32", steps=2, eval_every=2))
    qec.train(_config(tmp_path / "bf16_2", steps=2, eval_every=2, precision="bfloat16"))
    exact = load_checkpoint_file(tmp_path / "fp32" / "run" / "ckpt.pt")["state_dict"]
    two_steps = load_checkpoint_file(tmp_path / "bf16_2" / "run" / "ckpt.pt")["state_dict"]
    assert any(not torch.equal(exact[k], two_steps[k]) for k in exact)  # the same two steps, rounded differently
    with pytest.raises(ValueError, match="precision='half'"):
        qec.train(_config(tmp_path / "bad", precision="half"))


def test_resumed_training_equals_uninterrupted_training(tmp_path):
    qec.train(_config(tmp_path / "a", steps=40, eval_every=20))
    qec.train(_config(tmp_path / "b", steps=40, eval_every=20, pause_at=20))
    qec.train(_config(tmp_path / "b", steps=40, eval_every=20, init_from="resume"))
    a = load_checkpoint_file(tmp_path / "a" / "run" / "ckpt.pt")["state_dict"]
    b = load_checkpoint_file(tmp_path / "b" / "run" / "ckpt.pt")["state_dict"]
    for key in a:
        torch.testing.assert_close(a[key], b[key])


def test_weight_average_is_saved_with_the_live_weights_and_resumes_exactly(tmp_path):
    qec.train(_config(tmp_path / "a", steps=40, eval_every=20, ema_decay=0.9))
    qec.train(_config(tmp_path / "b", steps=40, eval_every=20, ema_decay=0.9, pause_at=20))
    qec.train(_config(tmp_path / "b", steps=40, eval_every=20, ema_decay=0.9, init_from="resume"))
    a = load_checkpoint_file(tmp_path / "a" / "run" / "ckpt.pt")
    b = load_checkpoint_file(tmp_path / "b" / "run" / "ckpt.pt")
    for key in a["state_dict"]:
        torch.testing.assert_close(a["state_dict"][key], b["state_dict"][key])
        torch.testing.assert_close(a["train_state_dict"][key], b["train_state_dict"][key])
    # The average lags the live weights; a run without one trains the same live weights.
    assert any(not torch.equal(a["state_dict"][k], a["train_state_dict"][k]) for k in a["state_dict"])
    qec.train(_config(tmp_path / "c", steps=40, eval_every=20))
    plain = load_checkpoint_file(tmp_path / "c" / "run" / "ckpt.pt")
    assert "train_state_dict" not in plain
    for key in plain["state_dict"]:
        torch.testing.assert_close(plain["state_dict"][key], a["train_state_dict"][key])
    with pytest.raises(ValueError, match="ema_decay=1.0"):
        qec.train(_config(tmp_path / "d", ema_decay=1.0))


def test_lion_moves_each_weight_by_lr_times_the_sign_of_its_interpolated_momentum():
    from qec._training import Lion
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(50))
    opt = Lion([w], lr=0.01, betas=(0.9, 0.99), weight_decay=0.5)
    g1, g2 = torch.randn(50), torch.randn(50)
    start = w.detach().clone()
    w.grad = g1
    opt.step()
    after_one = start * (1 - 0.01 * 0.5) - 0.01 * torch.sign(0.1 * g1)  # momentum starts at zero
    torch.testing.assert_close(w.detach(), after_one)
    w.grad = g2
    opt.step()
    momentum = 0.01 * g1  # 0.99 * 0 + 0.01 * g1
    torch.testing.assert_close(w.detach(), after_one * (1 - 0.005) - 0.01 * torch.sign(0.9 * momentum + 0.1 * g2))
    with pytest.raises(ValueError, match="lr=0"):
        Lion([w], lr=0)


def test_lion_training_learns_and_resumes_exactly(tmp_path):
    lion = dict(optimizer="lion", lr=1e-2, weight_decay=1e-3, steps=40, eval_every=20)
    qec.train(_config(tmp_path / "a", **lion))
    qec.train(_config(tmp_path / "b", pause_at=20, **lion))
    qec.train(_config(tmp_path / "b", init_from="resume", **lion))
    a = load_checkpoint_file(tmp_path / "a" / "run" / "ckpt.pt")
    b = load_checkpoint_file(tmp_path / "b" / "run" / "ckpt.pt")
    for key in a["state_dict"]:
        torch.testing.assert_close(a["state_dict"][key], b["state_dict"][key])
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, basis="x", noise="uniform:0.02"))
    trained = qec.PreDecoder.from_checkpoint(tmp_path / "a" / "run" / "ckpt.pt")  # the last step
    untrained = qec.PreDecoder.untrained(classes=trained.classes, width=8, depth=2, kernel=3, seed=0)
    assert _loss(trained, graph, seed=5) < 0.8 * _loss(untrained, graph, seed=5)
    with pytest.raises(ValueError, match="optimizer='sgd'"):
        qec.train(_config(tmp_path / "c", optimizer="sgd"))


def test_resume_keeps_the_checkpoints_optimizer(tmp_path):
    qec.train(_config(tmp_path, optimizer="lion", steps=6, eval_every=3, pause_at=3))
    qec.train(_config(tmp_path, optimizer="adamw", steps=6, eval_every=3, init_from="resume"))
    ckpt = load_checkpoint_file(tmp_path / "run" / "ckpt.pt")
    assert ckpt["step"] == 6 and ckpt["train_config"]["optimizer"] == "lion"
    assert set(ckpt["optimizer"]["state"][0]) == {"momentum"}  # Lion's state, not AdamW's


def test_resume_keeps_the_checkpoints_skip_connections_and_mlps(tmp_path):
    qec.train(_config(tmp_path, residual=True, mlp=2, steps=6, eval_every=3, pause_at=3))
    resumed = qec.train(_config(tmp_path, residual=False, steps=6, eval_every=3, init_from="resume"))
    ckpt = load_checkpoint_file(tmp_path / "run" / "ckpt.pt")
    assert ckpt["step"] == 6 and ckpt["train_config"]["residual"] and resumed.net.config.residual
    assert ckpt["train_config"]["mlp"] == 2 and resumed.net.config.mlp == 2 and len(resumed.net.mlps) == 2


def test_fine_tuning_starts_from_the_models_weights_and_shape_and_says_so(tmp_path):
    start = qec.train(_config(tmp_path / "a", steps=30, eval_every=30))
    start_path = tmp_path / "a" / "run" / "ckpt.pt"
    # A near-zero learning rate: after one step the weights are the starting model's, whatever width is asked.
    tuned = qec.train(_config(tmp_path / "b", init_from=str(start_path), steps=1, eval_every=1, lr=1e-12, width=16,
                              noise="uniform:0.01"))
    assert tuned.net.config.width == 8
    for key, value in start.net.state_dict().items():
        torch.testing.assert_close(tuned.net.state_dict()[key], value)
    ckpt = load_checkpoint_file(tmp_path / "b" / "run" / "ckpt.pt")
    origin = ckpt["metadata"]["fine_tuned_from"]
    assert ckpt["step"] == 1 and origin["model"] == str(start_path) and origin["shots_seen"] == 30 * 64
    assert len(origin["weights_sha256"]) == 64
    # A resumed fine-tuning run still says where it started.
    qec.train(_config(tmp_path / "b", init_from="resume", steps=2, eval_every=1, lr=1e-12))
    resumed = load_checkpoint_file(tmp_path / "b" / "run" / "ckpt.pt")
    assert resumed["step"] == 2 and resumed["metadata"]["fine_tuned_from"] == origin


def test_fine_tuning_rejects_a_model_of_other_edge_classes_or_a_missing_one(tmp_path):
    other = qec.PreDecoder.untrained(classes=[(0, 0, 0, 1)], width=8, depth=2)
    other.save(tmp_path / "other.pt")
    with pytest.raises(ValueError, match="edge classes"):
        qec.train(_config(tmp_path, init_from=str(tmp_path / "other.pt"), steps=1))
    with pytest.raises(ValueError, match="init_from='nowhere.pt'"):
        qec.train(_config(tmp_path, init_from="nowhere.pt", steps=1))


def test_distillation_pulls_the_network_towards_the_given_models_probabilities(tmp_path):
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, basis="x", noise="uniform:0.02"))
    other = qec.PreDecoder.untrained(classes=graph.classes, width=4, depth=1, seed=7)  # near 0.5 everywhere
    other.save(tmp_path / "other.pt")
    plain = qec.train(_config(tmp_path / "plain"))
    distilled = qec.train(_config(tmp_path / "distilled", distill_from=str(tmp_path / "other.pt"), distill_weight=1.0))

    def gap(model):  # mean |difference of edge probabilities| to `other` on eligible edges of fresh shots
        dets = torch.as_tensor(qec.StimSampler(graph, seed=5).sample(500).dets)
        bound, reference = model.bind(graph), other.bind(graph)
        mask = bound.eligible(dets)
        return (torch.sigmoid(bound.edge_logits(dets)) - torch.sigmoid(reference.edge_logits(dets)))[mask].abs().mean()

    assert gap(distilled) < 0.5 * gap(plain)
    origin = load_checkpoint_file(tmp_path / "distilled" / "run" / "ckpt.pt")["metadata"]["distilled_from"]
    assert origin["model"] == str(tmp_path / "other.pt") and len(origin["weights_sha256"]) == 64
    mismatched = qec.PreDecoder.untrained(classes=[(0, 0, 0, 1)], width=4, depth=1)
    mismatched.save(tmp_path / "mismatched.pt")
    with pytest.raises(ValueError, match="distill_from has edge classes"):
        qec.train(_config(tmp_path / "c", distill_from=str(tmp_path / "mismatched.pt"), steps=1))
    with pytest.raises(ValueError, match="distill_weight=0"):
        qec.train(_config(tmp_path / "d", distill_from="fast", distill_weight=0.0, steps=1))


def test_label_workers_give_the_same_run(tmp_path):
    # Two bases, so the workers must pick each task's own matcher.
    qec.train(_config(tmp_path / "a", steps=6, eval_every=6, bases="x,z"))
    qec.train(_config(tmp_path / "b", steps=6, eval_every=6, bases="x,z", label_workers=2))
    a = load_checkpoint_file(tmp_path / "a" / "run" / "ckpt.pt")["state_dict"]
    b = load_checkpoint_file(tmp_path / "b" / "run" / "ckpt.pt")["state_dict"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)


def test_config_rejects_unknown_keys_and_bad_types(tmp_path):
    with pytest.raises(ValueError, match="unknown config key 'widht'"):
        qec.TrainConfig.from_args(["--widht=3"])
    with pytest.raises(ValueError, match="expects int"):
        qec.TrainConfig.from_args(["--width=wide"])
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"width": 12, "lr": 1}))
    cfg = qec.TrainConfig.from_args(["--config", str(path), "--depth=3"])
    assert (cfg.width, cfg.depth, cfg.lr) == (12, 3, 1.0)
    assert qec.TrainConfig.from_args([f"--config={path}"]).width == 12
    with pytest.raises(ValueError, match="--config needs a JSON file"):
        qec.TrainConfig.from_args(["--config"])


@pytest.mark.parametrize("key", ["steps", "batch_size", "eval_every", "eval_shots"])
def test_a_count_below_one_is_refused_before_the_run_starts(tmp_path, key):
    cfg = qec.TrainConfig(out_dir=str(tmp_path / "run"), **{key: 0})
    with pytest.raises(ValueError, match=f"{key}=0; expected >= 1"):
        qec.train(cfg)
    assert not (tmp_path / "run" / "ckpt.pt").exists()


def test_train_help_lists_every_key_with_its_default_and_meaning(capsys):
    from qec._command._main_train import main
    assert main(command_line_args=["--help"]) == 0
    text = capsys.readouterr().out
    for field in dataclasses.fields(qec.TrainConfig):
        assert f"--{field.name}={field.default}\n      {field.metadata['help']}" in text
    with pytest.raises(SystemExit, match="unknown config key 'widht'"):
        main(command_line_args=["--widht=3"])


def test_shipped_configs_load_and_each_gpu_config_trains_its_cpu_recipes_network():
    import pathlib
    configs = pathlib.Path(__file__).parent.parent / "training" / "configs"
    loaded = {path.stem: qec.TrainConfig.from_args([f"--config={path}"]) for path in configs.glob("*.json")}
    assert {"default", "accurate", "gpu", "gpu_wide"} <= set(loaded)
    def network(cfg):
        return cfg.width, cfg.depth, cfg.kernel, cfg.residual, cfg.labels, cfg.loss_on, cfg.noise
    for gpu, cpu in (("gpu", "default"), ("gpu_wide", "accurate"), ("gpu_depth5", "depth5")):
        assert network(loaded[gpu]) == network(loaded[cpu]), (gpu, cpu)


def test_evaluate_in_chunks_counts_what_the_whole_batch_counts():
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(3, 3, noise="uniform:0.02"))
    batch = qec.StimSampler(graph, seed=4).sample(600)
    pre = qec.PreDecoder.untrained(classes=graph.classes, width=8, depth=2, seed=2)
    thresholds = [-0.2, 0.0, 0.2]
    whole = qec.evaluate(pre, graph, batch.dets, batch.obs, thresholds=thresholds, correlated=True, chunk_size=600)
    chunked = qec.evaluate(pre, graph, batch.dets, batch.obs, thresholds=thresholds, correlated=True, chunk_size=97)
    for key in ("by_threshold", "by_threshold_correlated"):
        assert {t: e for t, (e, _) in chunked[key].items()} == {t: e for t, (e, _) in whole[key].items()}
        assert [r for _, r in chunked[key].values()] == pytest.approx([r for _, r in whole[key].values()])
    assert {k: v for k, v in chunked.items() if not k.startswith("by_")} == \
        {k: v for k, v in whole.items() if not k.startswith("by_")}
    # The untrained network commits edges below the highest threshold, so the counts are not all PyMatching's.
    assert {errors for errors, _ in whole["by_threshold"].values()} != {whole["pymatching_errors"]}
    assert all(density <= whole["density_in"] for _, density in whole["by_threshold"].values())


def test_a_trained_model_says_what_noise_it_was_trained_on(tmp_path):
    trained = qec.train(_config(tmp_path, steps=2, eval_every=2, noise="uniform:0.02,si1000:0.004"))
    assert trained.training_noise_kinds == {"uniform", "si1000"}
    assert qec.PreDecoder.load("default").training_noise_kinds == {"uniform"}  # from its saved train_config


def test_a_curriculum_trains_on_its_noise_first_and_resumes_exactly(tmp_path):
    def weights(name):
        return load_checkpoint_file(tmp_path / name / "run" / "ckpt.pt")["state_dict"]

    plain = dict(steps=6, eval_every=6, bases="x,z")
    qec.train(_config(tmp_path / "plain", **plain))
    # The main noise as the curriculum's: the same volumes, shots and steps, so the same run.
    qec.train(_config(tmp_path / "same", **plain, curriculum_noise="uniform:0.02", curriculum_steps=3))
    # Another noise for the first 3 steps: another run, and a paused and resumed one repeats it.
    curriculum = dict(plain, curriculum_noise="si1000:0.004", curriculum_steps=3)
    other = qec.train(_config(tmp_path / "other", **curriculum))
    qec.train(_config(tmp_path / "split", **curriculum, pause_at=2))
    qec.train(_config(tmp_path / "split", **curriculum, init_from="resume"))
    for key in weights("plain"):
        torch.testing.assert_close(weights("same")[key], weights("plain")[key], rtol=0, atol=0)
        torch.testing.assert_close(weights("split")[key], weights("other")[key], rtol=0, atol=0)
    assert any(not torch.equal(weights("other")[k], weights("plain")[k]) for k in weights("plain"))
    assert qec.PreDecoder.load(str(tmp_path / "other" / "run" / "ckpt.pt")).training_noise_kinds == {"uniform", "si1000"}
    assert other.metadata["history"][-1]["step"] == 6
    for bad in (dict(curriculum_steps=3), dict(curriculum_noise="uniform:0.01")):
        with pytest.raises(ValueError, match="a curriculum needs both"):
            qec.train(_config(tmp_path / "bad", **bad))
