import warnings

import numpy as np
import pytest
import torch

import qec
import qec._device


@pytest.mark.parametrize("basis", ["x", "z"])
def test_applying_all_true_edges_zeroes_the_residual(basis):
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 7, basis=basis, noise="uniform:0.01"))
    bound = qec.PreDecoder.untrained(classes=graph.classes, width=4, depth=1).bind(graph)
    batch = qec.StimSampler(graph, seed=1).sample(500)
    dets = torch.as_tensor(batch.dets)
    residual, obs_flip = bound.apply(torch.as_tensor(batch.edges), dets)
    assert not residual.any()
    np.testing.assert_array_equal(obs_flip.numpy(), batch.obs)


def test_a_random_subset_leaves_the_syndrome_of_the_rest(graph_d5, tiny_predecoder):
    bound = tiny_predecoder.bind(graph_d5)
    batch = qec.StimSampler(graph_d5, seed=2).sample(500)
    rng = np.random.default_rng(0)
    subset = batch.edges & (rng.random(batch.edges.shape) < 0.5)
    rest = batch.edges & ~subset
    residual, obs_flip = bound.apply(torch.as_tensor(subset), torch.as_tensor(batch.dets))
    rest_dets, rest_obs = graph_d5.edge_syndromes(rest)
    np.testing.assert_array_equal(residual.numpy(), rest_dets)
    np.testing.assert_array_equal(obs_flip.numpy() ^ rest_obs, batch.obs)


def test_edge_logits_address_the_network_output(graph_d5, tiny_predecoder):
    bound = tiny_predecoder.bind(graph_d5)
    dets = torch.as_tensor(qec.StimSampler(graph_d5, seed=3).sample(4).dets)
    out = tiny_predecoder.net(bound.encode(dets))  # (B, C, T, H, W)
    logits = bound.edge_logits(dets)
    c = torch.as_tensor(tiny_predecoder.classes.index(graph_d5.classes[graph_d5.edge_classes[10]]))
    t, y, x = graph_d5.edge_anchors[10]
    torch.testing.assert_close(logits[:, 10], out[:, c, t, y, x].detach())
    torch.testing.assert_close(bound.edge_logits(dets, batch_size=3), logits)  # in chunks of 3 and 1 shots
    # The input grid carries the events where the detectors are.
    x_in = bound.encode(dets)
    v = graph_d5.detector_voxels
    np.testing.assert_array_equal(x_in[:, 0, v[:, 0], v[:, 1], v[:, 2]].numpy(), dets.float().numpy())


def test_mutual_policy_removes_events_in_pairs_and_never_adds(graph_d5, tiny_predecoder):
    bound = tiny_predecoder.bind(graph_d5)
    dets = torch.as_tensor(qec.StimSampler(graph_d5, seed=4).sample(300).dets)
    logits = torch.randn((300, graph_d5.num_edges), generator=torch.Generator().manual_seed(1))
    decisions = bound.decide(logits, dets, threshold=-1.0, policy="mutual")
    assert decisions.any()
    residual, _ = bound.apply(decisions, dets)
    assert not (residual & ~dets).any()  # no new events
    # No two applied edges share a detector.
    ends = graph_d5.edge_detectors
    for shot in range(300):
        used = ends[decisions[shot].numpy()].reshape(-1)
        used = used[used >= 0]
        assert len(used) == len(set(used.tolist()))
    removed = (dets.sum() - residual.sum()).item()
    boundary = decisions[:, ends[:, 1] < 0].sum().item()
    assert removed == 2 * (decisions.sum().item() - boundary) + boundary


@pytest.mark.parametrize("per_class", [False, True])
def test_mutual_policy_commits_each_edge_that_is_the_most_confident_at_both_ends(graph_d5, tiny_predecoder, per_class):
    bound = tiny_predecoder.bind(graph_d5)
    dets = torch.as_tensor(qec.StimSampler(graph_d5, seed=6).sample(60).dets)
    # Rounded logits make ties, which the edge index breaks (the higher index wins).
    logits = torch.round(2 * torch.randn((60, graph_d5.num_edges), generator=torch.Generator().manual_seed(7))) / 2
    threshold = (torch.linspace(-1.0, 1.0, len(graph_d5.classes))[torch.as_tensor(graph_d5.edge_classes)]
                 if per_class else torch.tensor(-0.5))
    decisions = bound.decide(logits, dets, threshold=threshold).numpy()
    ends = graph_d5.edge_detectors
    expected = np.zeros_like(decisions)
    for shot in range(60):
        fired = set(np.flatnonzero(dets[shot].numpy()).tolist())
        eligible = [e for e in range(graph_d5.num_edges) if logits[shot, e] > threshold.expand(graph_d5.num_edges)[e]
                    and all(d < 0 or d in fired for d in ends[e])]
        best = {}
        for e in eligible:
            for d in ends[e][ends[e] >= 0]:
                best[d] = max(best.get(d, (-np.inf, -1)), (logits[shot, e].item(), e))
        for e in eligible:
            expected[shot, e] = all(best[d][1] == e for d in ends[e][ends[e] >= 0])
    assert expected.sum() > 60
    np.testing.assert_array_equal(decisions, expected)


def test_threshold_policy_applies_exactly_the_confident_edges(graph_d5, tiny_predecoder):
    bound = tiny_predecoder.bind(graph_d5)
    dets = torch.zeros((2, graph_d5.num_detectors), dtype=torch.bool)
    logits = torch.full((2, graph_d5.num_edges), -5.0)
    logits[1, 7] = 3.0
    decisions = bound.decide(logits, dets, threshold=2.0, policy="threshold")
    assert decisions.sum() == 1 and decisions[1, 7]


def test_save_load_round_trip(tmp_path, graph_d5, tiny_predecoder):
    tiny_predecoder.threshold = 1.5
    path = tmp_path / "m.pt"
    tiny_predecoder.save(path)
    loaded = qec.PreDecoder.from_checkpoint(path)
    assert loaded.classes == tiny_predecoder.classes and loaded.threshold == 1.5 and loaded.policy == "mutual"
    dets = torch.as_tensor(qec.StimSampler(graph_d5, seed=5).sample(8).dets)
    torch.testing.assert_close(loaded.bind(graph_d5).edge_logits(dets), tiny_predecoder.bind(graph_d5).edge_logits(dets),
                               rtol=0, atol=0)


def test_skip_connections_add_each_later_layers_input_and_survive_save_and_load(tmp_path, graph_d5):
    pre = qec.PreDecoder.untrained(classes=graph_d5.classes, width=8, depth=3, residual=True, seed=4)
    conv1, act, conv2, _, conv3, _, head = pre.net.layers
    x = torch.randn(2, 3, 6, 6, 6)
    h = act(conv1(x))
    h = h + act(conv2(h))
    h = h + act(conv3(h))
    with torch.no_grad():
        torch.testing.assert_close(pre.net(x), head(h), rtol=0, atol=1e-6)
    pre.save(tmp_path / "r.pt")
    loaded = qec.PreDecoder.from_checkpoint(tmp_path / "r.pt")
    assert loaded.net.config.residual and "residual" in repr(loaded)
    with torch.no_grad():
        torch.testing.assert_close(loaded.net(x), pre.net(x), rtol=0, atol=0)


def test_mlps_add_a_per_voxel_mlp_after_each_layer_and_survive_save_and_load(tmp_path, graph_d5):
    pre = qec.PreDecoder.untrained(classes=graph_d5.classes, width=8, depth=2, residual=True, mlp=2, seed=5)
    conv1, act, conv2, _, head = pre.net.layers
    mlp1, mlp2 = pre.net.mlps
    assert mlp1[0].out_channels == 16  # mlp * width hidden channels
    x = torch.randn(2, 3, 6, 6, 6)
    h = act(conv1(x))
    h = h + mlp1(h)
    h = h + act(conv2(h))
    h = h + mlp2(h)
    with torch.no_grad():
        torch.testing.assert_close(pre.net(x), head(h), rtol=0, atol=1e-6)
    pre.save(tmp_path / "m.pt")
    loaded = qec.PreDecoder.from_checkpoint(tmp_path / "m.pt")
    assert loaded.net.config.mlp == 2 and "mlp 2" in repr(loaded)
    with torch.no_grad():
        torch.testing.assert_close(loaded.net(x), pre.net(x), rtol=0, atol=0)


def test_a_model_missing_an_edge_class_is_rejected(graph_d5):
    pre = qec.PreDecoder.untrained(classes=graph_d5.classes[:-1], width=4, depth=1)
    with pytest.raises(ValueError, match="not trained on"):
        pre.bind(graph_d5)


def test_unknown_model_name_lists_the_shipped_ones():
    with pytest.raises(ValueError, match="default"):
        qec.PreDecoder.load("no-such-model")


def test_a_path_that_holds_no_checkpoint_is_rejected_with_its_name(tmp_path):
    with pytest.raises(ValueError, match="neither a shipped model"):
        qec.PreDecoder.load(tmp_path)  # a directory
    (tmp_path / "notes.pt").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="notes.pt is not a qec pre-decoder checkpoint"):
        qec.PreDecoder.load(tmp_path / "notes.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="other.pt is not a qec pre-decoder checkpoint"):
        qec.PreDecoder.load(tmp_path / "other.pt")


class _RunsCodeWhenUnpickled:
    def __reduce__(self):
        return (print, ("this ran on load",))


def test_a_checkpoint_is_read_without_running_code_from_the_file(tmp_path, graph_d5, tiny_predecoder, capsys):
    ckpt = tiny_predecoder.checkpoint(payload=_RunsCodeWhenUnpickled())
    torch.save(ckpt, tmp_path / "booby.pt")
    with pytest.raises(ValueError, match="weights_only=True"):
        qec.PreDecoder.load(tmp_path / "booby.pt")
    assert "this ran on load" not in capsys.readouterr().out
    del ckpt["payload"]
    ckpt["rng"] = {"numpy": np.random.get_state()}  # what a training checkpoint holds besides tensors
    ckpt["metadata"] = {"errors": np.int64(3), "density": np.float32(0.25), "mask": np.ones(4, dtype=bool)}
    torch.save(ckpt, tmp_path / "plain.pt")
    loaded = qec.PreDecoder.load(tmp_path / "plain.pt")
    assert loaded.classes == tiny_predecoder.classes and loaded.metadata["errors"] == 3


def test_correlation_safe_commits_y_parts_together_or_leaves_them(graph_d5, tiny_predecoder):
    bound = tiny_predecoder.bind(graph_d5)
    batch = qec.StimSampler(graph_d5, seed=8).sample(200)
    dets = torch.as_tensor(batch.dets)
    decisions = bound.decide(torch.randn((200, graph_d5.num_edges), generator=torch.Generator().manual_seed(2)), dets,
                             threshold=-2.0)
    safe = bound.correlation_safe(decisions, dets)
    assert not (safe & ~decisions).any() and safe.sum() < decisions.sum()
    partners = bound._partners.to_dense() > 0
    ends = graph_d5.edge_detectors
    for shot in range(20):
        active = set(np.flatnonzero(batch.dets[shot]).tolist())
        for e in np.flatnonzero(safe[shot].numpy()):
            for f in np.flatnonzero(partners[e].numpy()):
                touches = any(int(x) in active for x in ends[f] if x >= 0)
                assert decisions[shot, f] or not touches


def test_the_correlated_variant_uses_its_own_threshold(graph_d5, tiny_predecoder, tmp_path):
    tiny_predecoder.threshold, tiny_predecoder.threshold_correlated = -10.0, 50.0
    bound = tiny_predecoder.bind(graph_d5)
    dets = torch.as_tensor(qec.StimSampler(graph_d5, seed=9).sample(50).dets)
    out = bound.run(dets, variants=(False, True))
    assert (out[False][0].sum() < dets.sum()) and torch.equal(out[True][0], dets)  # 50 commits nothing
    tiny_predecoder.save(tmp_path / "m.pt")
    assert qec.PreDecoder.from_checkpoint(tmp_path / "m.pt").threshold_correlated == 50.0


def test_the_reweighted_variants_use_their_own_thresholds(graph_d5, tiny_predecoder, tmp_path):
    tiny_predecoder.threshold_reweighted, tiny_predecoder.threshold_reweighted_correlated = -10.0, float("inf")
    bound = tiny_predecoder.bind(graph_d5)
    dets = torch.as_tensor(qec.StimSampler(graph_d5, seed=9).sample(50).dets)
    out = bound.run(dets, variants=("reweighted", "reweighted-correlated"))
    assert out["reweighted"][0].sum() < dets.sum() and torch.equal(out["reweighted-correlated"][0], dets)
    tiny_predecoder.save(tmp_path / "m.pt")
    loaded = qec.PreDecoder.from_checkpoint(tmp_path / "m.pt")
    assert (loaded.threshold_reweighted, loaded.threshold_reweighted_correlated) == (-10.0, float("inf"))


def test_the_hard_threshold_follows_the_circuits_noise(tmp_path, tiny_predecoder):
    low, high = (qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 5, basis="x", noise=f"uniform:{p}"))
                 for p in (0.003, 0.01))
    assert 0.04 < low.expected_density < 0.05 < 0.11 < high.expected_density < 0.14
    tiny_predecoder.threshold, tiny_predecoder.threshold_by_density = -0.3, [(0.08, 0.1)]
    assert (tiny_predecoder.bind(low).threshold, tiny_predecoder.bind(high).threshold) == (0.1, -0.3)
    for graph, threshold in ((low, 0.1), (high, -0.3)):
        bound = tiny_predecoder.bind(graph)
        dets = torch.as_tensor(qec.StimSampler(graph, seed=10).sample(100).dets)
        logits = bound.edge_logits(dets)
        np.testing.assert_array_equal(bound.run(dets)[False][0].numpy(),
                                      bound.apply(bound.decide(logits, dets, threshold=threshold), dets)[0].numpy())
    tiny_predecoder.save(tmp_path / "m.pt")
    loaded = qec.PreDecoder.from_checkpoint(tmp_path / "m.pt")
    assert loaded.threshold_by_density == [(0.08, 0.1)] and "0.1 below density 0.08" in repr(loaded)
    with pytest.raises(ValueError, match="ascending"):
        loaded.threshold_by_density = [(0.2, 3.0), (0.1, 4.0)]


def test_the_hard_threshold_follows_the_kind_of_noise_before_its_density(tmp_path, tiny_predecoder):
    graphs = {noise: qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 5, basis="x", noise=noise))
              for noise in ("uniform:0.003", "uniform:0.01", "si1000:0.001", "si1000:0.004")}
    ratios = {noise: graph.timelike_ratio for noise, graph in graphs.items()}
    assert 1.9 < ratios["uniform:0.003"] < 2.0 and 1.9 < ratios["uniform:0.01"] < 2.0  # not the strength, the kind
    assert 2.5 < ratios["si1000:0.001"] < 2.65 and 2.5 < ratios["si1000:0.004"] < 2.65
    tiny_predecoder.threshold, tiny_predecoder.threshold_by_density = -0.3, [(0.08, 0.1)]
    tiny_predecoder.threshold_by_timelike_ratio = [(2.2, 0.4, [(0.05, 0.7)])]
    expected = {"uniform:0.003": 0.1, "uniform:0.01": -0.3, "si1000:0.001": 0.7, "si1000:0.004": 0.4}
    assert {noise: tiny_predecoder.bind(graph).threshold for noise, graph in graphs.items()} == expected
    graph = graphs["si1000:0.004"]
    dets = qec.StimSampler(graph, seed=13).sample(100).dets
    bound = tiny_predecoder.bind(graph)
    expected_residual = bound.apply(bound.decide(bound.edge_logits(torch.as_tensor(dets)), torch.as_tensor(dets),
                                                 threshold=0.4), torch.as_tensor(dets))[0].numpy()
    residual = qec.Decoder(graph, model=tiny_predecoder, device="cpu").predecode(dets)[0]
    np.testing.assert_array_equal(residual, expected_residual)
    assert 0 < dets.sum() - residual.sum() < dets.sum() - qec.Decoder(
        graph, model=tiny_predecoder.with_threshold(-0.3), device="cpu").predecode(dets)[0].sum()
    tiny_predecoder.save(tmp_path / "m.pt")
    loaded = qec.PreDecoder.from_checkpoint(tmp_path / "m.pt")
    assert loaded.threshold_by_timelike_ratio == [(2.2, 0.4, [(0.05, 0.7)])]
    assert "; from time-like ratio 2.2: 0.4, 0.7 below density 0.05>" in repr(loaded)
    assert loaded.with_threshold(1.0).bind(graph).threshold == 1.0  # a fixed threshold overrides both rules
    with pytest.raises(ValueError, match="ascending"):
        loaded.threshold_by_timelike_ratio = [(2.5, 3.0), (2.3, 4.0)]
    with pytest.raises(ValueError, match="ascending"):
        loaded.threshold_by_timelike_ratio = [(2.2, 3.0, [(0.08, 4.0), (0.05, 5.0)])]


def test_a_floor_by_noise_spread_raises_the_threshold_where_qubits_differ(tmp_path, tiny_predecoder):
    layout = qec.generate_circuit(5, 5, basis="x", noise="uniform:0")
    factors = qec.qubit_factors_lognormal(layout, sigma=1.0, seed=4)  # a draw that reads as uniform noise by its time-like ratio
    graphs = {name: qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 5, basis="x", noise=noise))
              for name, noise in (("uniform", "uniform:0.006"), ("si1000", "si1000:0.004"),
                                  ("per-qubit", qec.NoiseModel("uniform", 0.006, qubit_factors=factors)))}
    tiny_predecoder.threshold, tiny_predecoder.threshold_by_density = -0.3, [(0.08, 0.1)]
    tiny_predecoder.threshold_by_timelike_ratio = [(2.2, 0.4)]
    tiny_predecoder.threshold_floor_by_noise_spread = [(0.3, 0.2)]
    assert graphs["per-qubit"].expected_density > 0.08 and graphs["per-qubit"].timelike_ratio < 2.2
    # Uniform noise keeps its rule; the floor lifts the per-qubit circuit's -0.3 and leaves SI1000's 0.4.
    expected = {"uniform": -0.3, "si1000": 0.4, "per-qubit": 0.2}
    assert {name: tiny_predecoder.bind(graph).threshold for name, graph in graphs.items()} == expected
    graph = graphs["per-qubit"]
    dets = torch.as_tensor(qec.StimSampler(graph, seed=14).sample(100).dets)
    bound = tiny_predecoder.bind(graph)
    residual = bound(dets)[0]
    logits = bound.edge_logits(dets)
    np.testing.assert_array_equal(residual.numpy(), bound.apply(bound.decide(logits, dets, threshold=0.2), dets)[0].numpy())
    assert residual.sum() > bound.apply(bound.decide(logits, dets, threshold=-0.3), dets)[0].sum()
    tiny_predecoder.save(tmp_path / "m.pt")
    loaded = qec.PreDecoder.from_checkpoint(tmp_path / "m.pt")
    assert loaded.threshold_floor_by_noise_spread == [(0.3, 0.2)]
    assert repr(loaded).endswith("; at least 0.2 from noise spread 0.3>")
    assert loaded.with_threshold(-1.0).bind(graph).threshold == -1.0  # a fixed threshold overrides the floor too
    with pytest.raises(ValueError, match="ascending"):
        loaded.threshold_floor_by_noise_spread = [(0.5, 3.0), (0.3, 4.0)]


def test_a_fixed_threshold_replaces_the_threshold_by_noise_for_hard_commits_only(tiny_predecoder):
    graph = qec.DecodingGraph.from_circuit(qec.generate_circuit(5, 5, basis="x", noise="uniform:0.003"))
    tiny_predecoder.threshold, tiny_predecoder.threshold_by_density = 50.0, [(0.08, 40.0)]
    tiny_predecoder.threshold_correlated = 30.0
    dets = qec.StimSampler(graph, seed=11).sample(100).dets
    by_noise = qec.Decoder(graph, model=tiny_predecoder, device="cpu")
    fixed = qec.Decoder(graph, model=tiny_predecoder, device="cpu", threshold=-0.2)
    assert (by_noise.threshold, fixed.threshold) == (40.0, -0.2)
    assert tiny_predecoder.threshold_by_density == [(0.08, 40.0)]  # the model itself is untouched
    bound = tiny_predecoder.bind(graph)
    logits = bound.edge_logits(torch.as_tensor(dets))
    expected = bound.apply(bound.decide(logits, torch.as_tensor(dets), threshold=-0.2), torch.as_tensor(dets))[0]
    residual, _ = fixed.predecode(dets)
    np.testing.assert_array_equal(residual, expected.numpy())
    assert residual.sum() < dets.sum()  # threshold -0.2 commits; 40 (by noise) would commit nothing
    np.testing.assert_array_equal(fixed.predecode(dets, enable_correlations=True)[0],
                                  by_noise.predecode(dets, enable_correlations=True)[0])  # the model's 30: nothing
    with pytest.raises(ValueError, match="needs a model"):
        qec.Decoder(graph, model=None, threshold=1.0)
    with pytest.raises(ValueError, match="nan"):
        tiny_predecoder.with_threshold(float("nan"))


def test_a_threshold_per_edge_class_commits_each_class_at_its_own_threshold(tmp_path, graph_d5, tiny_predecoder):
    dets = qec.StimSampler(graph_d5, seed=12).sample(200).dets
    bound = tiny_predecoder.bind(graph_d5)
    logits = bound.edge_logits(torch.as_tensor(dets))
    by_class = np.linspace(-0.4, 0.2, len(graph_d5.classes))
    by_class[3] = np.inf  # class 3 commits nothing
    decoder = qec.Decoder(graph_d5, model=tiny_predecoder, device="cpu", threshold=list(by_class))
    per_edge = torch.as_tensor(by_class, dtype=torch.float32)[torch.as_tensor(graph_d5.edge_classes)]
    chosen = bound.decide(logits, torch.as_tensor(dets), threshold=per_edge)
    assert decoder.threshold == list(by_class) and not chosen[:, graph_d5.edge_classes == 3].any()
    np.testing.assert_array_equal(decoder.predecode(dets)[0], bound.apply(chosen, torch.as_tensor(dets))[0].numpy())
    for uniform in (-0.4, 0.2):  # neither single threshold makes these decisions
        assert not torch.equal(chosen, bound.decide(logits, torch.as_tensor(dets), threshold=uniform))
    decoder.predecoder.save(tmp_path / "c.pt")
    loaded = qec.PreDecoder.from_checkpoint(tmp_path / "c.pt")
    assert loaded.threshold_by_class == list(by_class) and "thresholds by class -0.4," in repr(loaded)
    assert tiny_predecoder.with_threshold(1.0).threshold_by_class is None
    with pytest.raises(ValueError, match="one per edge class"):
        tiny_predecoder.with_threshold([1.0, 2.0])


def test_a_threshold_rule_parses_from_its_command_line_form():
    parse = qec._predecoder.parse_threshold_pairs
    assert parse("0.055:4, 0.0695:3") == [(0.055, 4.0), (0.0695, 3.0)] and parse("") == []
    for bad in ("0.055", "0.055:4:1", "low:3"):
        with pytest.raises(ValueError, match="KEY:THRESHOLD"):
            parse(bad)


def test_every_shipped_model_loads_with_its_card():
    import pathlib
    models = pathlib.Path(qec.__file__).parent.parent / "models"
    assert sorted(p.stem for p in models.glob("*.pt")) == sorted(qec._predecoder.SHIPPED_MODELS)  # no weight file forgotten
    for name in qec._predecoder.SHIPPED_MODELS:
        model = qec.PreDecoder.load(name)
        assert model.metadata["name"] == name and model.threshold > 0
        card = models / f"{name}.md"
        assert card.exists() and f"`{name}`" in card.read_text()
    sizes = [qec.PreDecoder.load(name).net.num_parameters for name in ("fast", "default", "accurate", "accurate-mlp")]
    assert sizes == sorted(sizes) and len(set(sizes)) == 4


def test_accurate_mlp_is_accurates_network_with_mlps_and_decides_by_accurates_rules():
    import dataclasses
    accurate, with_mlp = qec.PreDecoder.load("accurate"), qec.PreDecoder.load("accurate-mlp")
    assert with_mlp.net.config.mlp == 2 and dataclasses.replace(with_mlp.net.config, mlp=0) == accurate.net.config
    for setting in ("policy", "threshold", "threshold_by_density", "threshold_by_timelike_ratio",
                    "threshold_floor_by_noise_spread", "threshold_correlated", "reweight_scale",
                    "reweight_scale_correlated", "threshold_reweighted", "threshold_reweighted_correlated"):
        assert getattr(with_mlp, setting) == getattr(accurate, setting), setting  # the card: inherited, not re-tuned


def test_every_shipped_model_commits_less_under_si1000_than_under_uniform_noise_of_its_density():
    si1000, uniform = (qec.DecodingGraph.from_circuit(qec.generate_circuit(9, 9, basis="z", noise=noise))
                       for noise in ("si1000:0.003", "uniform:0.0052"))
    assert abs(si1000.expected_density - uniform.expected_density) < 0.002  # the density rule sees one noise
    for name in qec._predecoder.SHIPPED_MODELS:
        model = qec.PreDecoder.load(name)
        assert model.bind(si1000).threshold >= 5 > model.bind(uniform).threshold, name


def test_every_shipped_model_commits_less_where_qubits_differ_and_as_before_where_they_do_not():
    layout = qec.generate_circuit(9, 9, basis="z", noise="uniform:0")
    graphs = {sigma: qec.DecodingGraph.from_circuit(qec.generate_circuit(9, 9, basis="z", noise=qec.NoiseModel(
        "uniform", 0.005, qubit_factors=qec.qubit_factors_lognormal(layout, sigma=sigma, seed=0) if sigma else None)))
        for sigma in (0, 0.25, 0.5)}
    assert graphs[0].noise_spread < 0.01 < graphs[0.25].noise_spread < 0.25 < graphs[0.5].noise_spread
    assert all(graph.timelike_ratio < 2.25 for graph in graphs.values())  # all read as uniform noise
    floors = {"fast": 6, "default": 5, "accurate": 4, "accurate-mlp": 4}  # BENCHMARKS.md, "Per-qubit noise"
    for name in qec._predecoder.SHIPPED_MODELS:
        model = qec.PreDecoder.load(name)
        uniform_rule = model.threshold_at(graphs[0.5].expected_density)
        assert uniform_rule < floors[name] == model.bind(graphs[0.5]).threshold, name
        assert model.bind(graphs[0]).threshold == model.threshold_at(graphs[0].expected_density) < floors[name], name
        assert model.bind(graphs[0.25]).threshold == model.threshold_at(graphs[0.25].expected_density), name


def test_compiled_network_gives_the_same_logits_and_decisions(graph_d5, tiny_predecoder):
    dets = torch.as_tensor(qec.StimSampler(graph_d5, seed=4).sample(64).dets)
    plain = tiny_predecoder.bind(graph_d5)
    compiled = tiny_predecoder.bind(graph_d5, compile=True)
    assert compiled.net is not plain.net
    logits, compiled_logits = plain.edge_logits(dets), compiled.edge_logits(dets)
    torch.testing.assert_close(compiled_logits, logits, rtol=1e-4, atol=1e-4)
    far = (logits - tiny_predecoder.threshold).abs() > 1e-3  # decisions can only differ at the threshold itself
    assert torch.equal(plain.decide(logits, dets)[far], compiled.decide(compiled_logits, dets)[far])


def test_bfloat16_on_the_cpu_changes_logits_by_rounding_only(graph_d5):
    predecoder = qec.PreDecoder.load("default")
    dets = torch.as_tensor(qec.StimSampler(graph_d5, seed=4).sample(256).dets)
    exact, rounded = predecoder.bind(graph_d5), predecoder.bind(graph_d5, precision="bfloat16")
    assert (exact.precision, rounded.precision) == ("float32", "bfloat16")  # float32 is the CPU's default
    logits, rounded_logits = exact.edge_logits(dets), rounded.edge_logits(dets)
    assert logits.abs().max() > 8  # confident edges exist, so the bound below is not trivial
    assert (rounded_logits - logits).abs().max() < 0.25
    far = (logits - predecoder.threshold).abs() > 0.25
    by_threshold = exact.decide(logits, dets, policy="threshold")
    assert torch.equal(by_threshold[far], rounded.decide(rounded_logits, dets, policy="threshold")[far])
    # The mutual rule also compares neighbouring edges' logits, so rounding moves a few more (1.1% here).
    mutual, rounded_mutual = exact.decide(logits, dets), rounded.decide(rounded_logits, dets)
    assert mutual.sum() > 500 and (mutual != rounded_mutual).sum() <= 0.02 * mutual.sum()


@pytest.mark.parametrize("native", [True, False])
def test_bfloat16_on_a_cpu_without_it_warns_and_float32_never_does(graph_d5, tiny_predecoder, monkeypatch, native):
    monkeypatch.setattr(qec._device, "cpu_has_fast_bfloat16", lambda: native)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tiny_predecoder.bind(graph_d5)  # float32, the CPU's default
        tiny_predecoder.bind(graph_d5, precision="float32")
        assert not caught
        tiny_predecoder.bind(graph_d5, precision="bfloat16")
    slow = [w for w in caught if "without native bfloat16" in str(w.message)]
    assert len(slow) == (0 if native else 1) and all(w.category is UserWarning for w in slow)


def test_an_unknown_precision_is_rejected(graph_d5, tiny_predecoder):
    with pytest.raises(ValueError, match="precision='float16'"):
        tiny_predecoder.bind(graph_d5, precision="float16")
