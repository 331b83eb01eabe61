import numpy as np
import torch

import qec


def test_stim_sampler_labels_explain_the_events(graph_d5):
    batch = qec.StimSampler(graph_d5, seed=7).sample(1000)
    dets, obs = graph_d5.edge_syndromes(batch.edges)
    np.testing.assert_array_equal(dets, batch.dets)
    np.testing.assert_array_equal(obs, batch.obs)


def test_torch_sampler_labels_explain_the_events(graph_d5):
    batch = qec.TorchSampler(graph_d5, device="cpu", seed=7).sample(1000)
    dets, obs = graph_d5.edge_syndromes(batch.edges.numpy())
    np.testing.assert_array_equal(dets, batch.dets.numpy())
    np.testing.assert_array_equal(obs, batch.obs.numpy())


def test_torch_sampler_statistics_match_stim(graph_d5):
    n = 40_000
    ours = qec.TorchSampler(graph_d5, seed=11).sample(n)
    ref = qec.StimSampler(graph_d5, seed=12).sample(n)
    for a, b in ((ours.dets.numpy(), ref.dets), (ours.edges.numpy(), ref.edges), (ours.obs.numpy(), ref.obs)):
        pa, pb = a.mean(axis=0), b.mean(axis=0)
        # Per-column frequencies agree within 5 standard errors of a difference of two binomials.
        sigma = np.sqrt((pa * (1 - pa) + pb * (1 - pb)) / n) + 1e-12
        assert np.all(np.abs(pa - pb) <= 5 * sigma + 1e-4)
    # Pairwise structure too: the rate of adjacent detector pairs firing together.
    a0, a1 = graph_d5.edge_detectors[graph_d5.edge_detectors[:, 1] >= 0][:50].T
    co_ours = (ours.dets.numpy()[:, a0] & ours.dets.numpy()[:, a1]).mean(axis=0)
    co_ref = (ref.dets[:, a0] & ref.dets[:, a1]).mean(axis=0)
    assert np.abs(co_ours - co_ref).max() < 5 * np.sqrt(co_ref.max() / n) + 1e-4


def test_samplers_are_deterministic_with_a_seed(graph_d5):
    a = qec.TorchSampler(graph_d5, seed=5).sample(64)
    b = qec.TorchSampler(graph_d5, seed=5).sample(64)
    assert torch.equal(a.dets, b.dets) and torch.equal(a.edges, b.edges)
    c = qec.StimSampler(graph_d5, seed=5).sample(64)
    d = qec.StimSampler(graph_d5, seed=5).sample(64)
    np.testing.assert_array_equal(c.edges, d.edges)
