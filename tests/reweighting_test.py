import numpy as np
import pytest
import stim
import torch

import qec
from qec._graph import BOUNDARY


@pytest.fixture(scope="module")
def experiment():
    circuit = qec.generate_circuit(5, 5, basis="x", noise="uniform:0.01")
    graph = qec.DecodingGraph.from_circuit(circuit)
    errors_sampler = graph.dem.compile_sampler(seed=4)
    dets, obs, errors = errors_sampler.sample(1500, return_errors=True)
    return graph, dets.astype(bool), obs.astype(bool), graph.errors_to_edges(errors)


def _errors(pred, obs):
    return int(np.any(pred != obs, axis=1).sum())


def test_scale_zero_is_plain_matching(experiment):
    graph, dets, obs, _ = experiment
    logits = np.random.default_rng(0).normal(0, 5, (len(dets), graph.num_edges))
    ours = qec.PosteriorMatcher(graph, scale=0.0).decode_batch(dets, logits)
    np.testing.assert_array_equal(ours, qec.Matcher(graph.dem).decode_batch(dets))


def test_only_edges_between_events_move_and_weights_stay_non_negative(experiment):
    graph, dets, _, _ = experiment
    matcher = qec.PosteriorMatcher(graph, scale=0.5)
    logits = np.random.default_rng(1).normal(0, 30, graph.num_edges)
    w = matcher.weights(dets[0], logits)
    ends = graph.edge_detectors
    judged = np.array([dets[0][a] and (b < 0 or dets[0][b]) for a, b in ends])
    assert judged.any()
    np.testing.assert_array_equal(w[~judged], matcher.prior_weights[~judged])
    np.testing.assert_allclose(w[judged], np.maximum(0, matcher.prior_weights[judged] - 0.5 * logits[judged]))
    assert (w >= 0).all() and (w[judged] == 0).any()


def test_posteriors_that_know_the_errors_beat_plain_matching(experiment):
    # An oracle network: +8 on the edges that really fired, -8 elsewhere. Following it must cut
    # PyMatching's errors by far; a sign error in the reweighting would raise them instead.
    graph, dets, obs, fired = experiment
    oracle = np.where(fired, 8.0, -8.0)
    plain = _errors(qec.Matcher(graph.dem).decode_batch(dets), obs)
    ours = _errors(qec.PosteriorMatcher(graph, scale=0.5).decode_batch(dets, oracle), obs)
    assert plain >= 40 and ours <= plain / 2


def test_prior_weights_come_from_a_given_dem(experiment):
    graph, dets, _, _ = experiment
    scaled = stim.DetectorErrorModel(str(graph.dem).replace("error(0.", "error(0.0"))  # every p divided by ~10
    ours = qec.PosteriorMatcher(graph, scale=0.0, matching_dem=scaled)
    assert (ours.prior_weights > qec.PosteriorMatcher(graph, scale=0.0).prior_weights + 1).all()
    np.testing.assert_array_equal(ours.decode_batch(dets, np.zeros((len(dets), graph.num_edges))),
                                  qec.Matcher(scaled).decode_batch(dets))


def test_reweighted_decoder_is_flips_xor_posterior_matching(experiment, tiny_predecoder):
    graph, dets, _, _ = experiment
    tiny_predecoder.threshold_reweighted, tiny_predecoder.reweight_scale = 0.0, 0.3
    tiny_predecoder.threshold_reweighted_correlated, tiny_predecoder.reweight_scale_correlated = 0.0, 0.1
    decoder = qec.Decoder(graph, model=tiny_predecoder, device="cpu", reweight=True, batch_size=256)
    predictions, residual = decoder.decode_batch(dets[:300], return_residual=True)
    logits = tiny_predecoder.bind(graph).edge_logits(torch.as_tensor(dets[:300]))
    bound = tiny_predecoder.bind(graph)
    ref_residual, flips = (x.numpy() for x in bound.apply(bound.decide(logits, torch.as_tensor(dets[:300]), threshold=0.0),
                                                          torch.as_tensor(dets[:300])))
    np.testing.assert_array_equal(residual, ref_residual)
    expected = qec.PosteriorMatcher(graph, scale=0.3).decode_batch(ref_residual, logits.numpy()) ^ flips
    np.testing.assert_array_equal(predictions, expected)
    overlapped = qec.Decoder(graph, model=tiny_predecoder, device="cpu", reweight=True, batch_size=100,
                             matching_workers=2)
    np.testing.assert_array_equal(overlapped.decode_batch(dets[:300]), predictions)
    # shortcut: the same residual, matched on the prebuilt graph (in this process and in workers)
    shortcut = qec.Decoder(graph, model=tiny_predecoder, device="cpu", reweight=True, shortcut=True)
    expected = qec.ShortcutMatcher(graph, scale=0.3).decode_batch(ref_residual, logits.numpy()) ^ flips
    np.testing.assert_array_equal(shortcut.decode_batch(dets[:300]), expected)
    overlapped = qec.Decoder(graph, model=tiny_predecoder, device="cpu", reweight=True, shortcut=True, batch_size=100,
                             matching_workers=2)
    np.testing.assert_array_equal(overlapped.decode_batch(dets[:300]), expected)
    # correlated: the commits are correlation-safe and the matching is two-pass
    correlated = qec.Decoder(graph, model=tiny_predecoder, device="cpu", reweight=True, correlated=True)
    predictions, residual = correlated.decode_batch(dets[:300], return_residual=True)
    safe = bound.correlation_safe(bound.decide(logits, torch.as_tensor(dets[:300]), threshold=0.0), torch.as_tensor(dets[:300]))
    ref_residual, flips = (x.numpy() for x in bound.apply(safe, torch.as_tensor(dets[:300])))
    np.testing.assert_array_equal(residual, ref_residual)
    expected = qec.PosteriorMatcher(graph, scale=0.1, correlated=True).decode_batch(ref_residual, logits.numpy()) ^ flips
    np.testing.assert_array_equal(predictions, expected)


def test_shortcut_gadgets_match_as_a_graph_per_shot_with_the_same_weights(experiment):
    # The prebuilt graph with switched-on gadgets must decide exactly as PosteriorMatcher's graph
    # per shot does with the quantized weights; random logits switch on every level. (Four levels
    # of 0.5 keep every weight above zero here: zero-weight edges make equally light matchings
    # that the two graphs may break differently.)
    graph, dets, _, _ = experiment
    logits = np.random.default_rng(2).normal(0, 8, (len(dets), graph.num_edges)).astype(np.float32)
    matcher = qec.ShortcutMatcher(graph, scale=0.25, step=0.5, levels=4)
    levels = matcher.edge_levels(dets, logits)
    assert all((levels == k).sum() > 10_000 for k in range(5))
    per_shot_graphs = qec.PosteriorMatcher.decode_batch(matcher, dets, logits)
    np.testing.assert_array_equal(matcher.decode_batch(dets, logits, chunk=97), per_shot_graphs)


def test_shortcut_weights_follow_the_lifted_rule_in_whole_steps(experiment):
    # Written out densely here: judged edges move by scale * logit; every event at a raised edge
    # is lifted by its largest raise, and each edge is lowered by its events' lifts.
    graph, dets, _, _ = experiment
    matcher = qec.ShortcutMatcher(graph, scale=0.5, step=1.0, levels=6)
    logits = np.random.default_rng(1).normal(0, 4, graph.num_edges)
    judged = matcher.judged(dets[0])
    moved = np.where(judged, 0.5 * logits, 0.0)
    u, v = graph.edge_detectors[:, 0], graph.edge_detectors[:, 1]
    lift = np.zeros(graph.num_detectors + 1)
    for e in np.flatnonzero(moved < 0):
        lift[u[e]] = max(lift[u[e]], -moved[e])
        if v[e] != BOUNDARY:
            lift[v[e]] = max(lift[v[e]], -moved[e])
    lift[BOUNDARY] = 0.0
    target = np.maximum(np.maximum(0, matcher.prior_weights - moved) - lift[u] - lift[v], 0)
    expected = matcher.prior_weights - np.minimum(np.rint(matcher.prior_weights - target), 6)
    np.testing.assert_allclose(matcher.weights(dets[0], logits), np.maximum(expected, 0))
    assert (moved < 0).any() and (moved > 0).any() and (lift > 0).sum() > 2
    untouched = (lift[u] == 0) & (lift[v] == 0) & ~judged
    np.testing.assert_array_equal(matcher.weights(dets[0], logits)[untouched], matcher.prior_weights[untouched])


def test_shortcut_matcher_at_scale_zero_and_with_an_oracle(experiment):
    graph, dets, obs, fired = experiment
    plain = qec.Matcher(graph.dem).decode_batch(dets)
    np.testing.assert_array_equal(qec.ShortcutMatcher(graph, scale=0.0).decode_batch(dets, np.full((len(dets), graph.num_edges), 9.0)),
                                  plain)
    # An oracle network must cut PyMatching's errors by far here too.
    ours = _errors(qec.ShortcutMatcher(graph, scale=0.5).decode_batch(dets, np.where(fired, 8.0, -8.0)), obs)
    assert ours <= _errors(plain, obs) / 2
    scaled = stim.DetectorErrorModel(str(graph.dem).replace("error(0.", "error(0.0"))
    np.testing.assert_array_equal(qec.ShortcutMatcher(graph, scale=0.0, matching_dem=scaled).decode_batch(
        dets, np.zeros((len(dets), graph.num_edges))), qec.Matcher(scaled).decode_batch(dets))


def test_two_pass_correlated_matching_at_scale_zero_follows_correlated_pymatching():
    circuit = qec.generate_circuit(5, 5, basis="x", noise="uniform:0.008")
    graph = qec.DecodingGraph.from_circuit(circuit)
    dets, obs = circuit.compile_detector_sampler(seed=2).sample(3000, separate_observables=True)
    matcher = qec.Matcher(graph.dem)
    reference = matcher.decode_batch(dets, correlated=True)
    ours = qec.PosteriorMatcher(graph, scale=0.0, correlated=True).decode_batch(dets, np.zeros((len(dets), graph.num_edges)))
    # Same shots: the two-pass matcher agrees with PyMatching's correlated decoder on all but a
    # few percent of shots, and like it makes clearly fewer errors than plain matching (~156 here).
    assert np.any(ours != reference, axis=1).mean() < 0.02
    assert _errors(ours, obs) <= _errors(matcher.decode_batch(dets), obs) - 10


def test_the_second_pass_lowers_the_partners_of_matched_edges_only(experiment):
    graph, dets, _, _ = experiment
    matcher = qec.PosteriorMatcher(graph, scale=0.0, correlated=True)
    shot = int(np.argmax(dets.sum(1)))
    syndrome = dets[shot].astype(np.uint8)
    after = matcher._second_pass_weights(syndrome, matcher.prior_weights)
    assert (after <= matcher.prior_weights).all() and (after < matcher.prior_weights).any()
    lowered = np.flatnonzero(after < matcher.prior_weights)
    errors = graph.error_edges.tocsr()
    multi = errors[np.flatnonzero(np.diff(errors.indptr) >= 2)]
    partnered = np.flatnonzero(np.asarray(multi.sum(axis=0)).ravel() > 0)
    assert np.isin(lowered, partnered).all()  # only edges that are half of a multi-edge mechanism move


def test_reweighting_refuses_what_it_cannot_do(experiment):
    graph, dets, _, _ = experiment
    with pytest.raises(ValueError, match="needs a model"):
        qec.Decoder(graph, model=None, reweight=True)
    for options in ({"shortcut": True}, {"shortcut": True, "reweight": True, "correlated": True}):
        with pytest.raises(ValueError, match="shortcut=True"):
            qec.Decoder(graph, model="default", **options)
    for options in ({"reweight": True}, {"correlated": True}):
        with pytest.raises(ValueError, match="correlated=False for streaming"):
            qec.Decoder(graph, model="default", **options).stream(10)
    with pytest.raises(ValueError, match="logits has shape"):
        qec.PosteriorMatcher(graph, scale=0.2).decode_batch(dets[:5], np.zeros((5, 3)))
    with pytest.raises(ValueError, match="scale"):
        qec.PosteriorMatcher(graph, scale=-1.0)
    with pytest.raises(ValueError, match="logits has shape"):
        qec.ShortcutMatcher(graph, scale=0.2).decode_batch(dets[:5], np.zeros((5, 3)))
    with pytest.raises(ValueError, match="levels=0"):
        qec.ShortcutMatcher(graph, scale=0.2, levels=0)


def test_reweighting_settings_survive_a_checkpoint(tmp_path, tiny_predecoder):
    tiny_predecoder.reweight_scale, tiny_predecoder.threshold_reweighted = 0.4, 7.0
    tiny_predecoder.reweight_scale_correlated = 0.2
    tiny_predecoder.save(tmp_path / "m.pt")
    loaded = qec.PreDecoder.from_checkpoint(tmp_path / "m.pt")
    assert (loaded.reweight_scale, loaded.reweight_scale_correlated, loaded.threshold_reweighted) == (0.4, 0.2, 7.0)
