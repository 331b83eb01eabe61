import math

import pytest

import qec


def test_ler_per_round_inverts_the_shot_rate():
    eps = 0.01
    rounds = 7
    p_shot = 0.5 * (1 - (1 - 2 * eps) ** rounds)
    assert qec.ler_per_round(p_shot, rounds) == pytest.approx(eps, rel=1e-12)
    assert qec.ler_per_round(0.0, 5) == 0.0


def test_binomial_interval_covers_the_rate():
    lo, hi = qec.binomial_interval(50, 1000)
    assert lo < 0.05 < hi
    assert hi - lo == pytest.approx(2 * 1.96 * math.sqrt(0.05 * 0.95 / 1000), rel=0.05)


def test_stats_add_and_refuse_mixed_sizes():
    a = qec.DecodeStats(shots=2, detectors=10, events_in=4, events_residual=1, seconds_matching=1.0)
    assert (a + a).density_in == 0.2 and (a + a).seconds == 2.0
    with pytest.raises(ValueError, match="detectors"):
        a + qec.DecodeStats(shots=1, detectors=11)


def test_paired_sign_test_is_the_exact_binomial_tail():
    # 1 discordant shot of 10 in one direction: 2 * (1 + 10) / 2**10.
    assert qec.paired_sign_test(1, 9) == pytest.approx(22 / 1024)
    assert qec.paired_sign_test(9, 1) == qec.paired_sign_test(1, 9)
    assert qec.paired_sign_test(0, 0) == 1.0 and qec.paired_sign_test(7, 7) == 1.0
    with pytest.raises(ValueError):
        qec.paired_sign_test(-1, 3)
