import pytest
import stim

import qec


@pytest.mark.parametrize("basis", ["x", "z"])
@pytest.mark.parametrize("noise", ["uniform:0.003", "si1000:0.002"])
def test_circuit_sizes_and_noiseless_determinism(basis, noise):
    d, r = 5, 4
    circuit = qec.generate_circuit(d, r, basis=basis, noise=noise)
    # (d^2 - 1)/2 detectors in the first and last layers, d^2 - 1 in every other round.
    half = (d * d - 1) // 2
    assert circuit.num_detectors == half + (r - 1) * (d * d - 1) + half
    assert circuit.num_observables == 1
    # Without noise every detector and the observable are deterministic.
    dets, obs = circuit.without_noise().compile_detector_sampler(seed=1).sample(50, separate_observables=True)
    assert not dets.any() and not obs.any()


def test_si1000_rates_are_the_published_ratios():
    p = 0.002
    text = str(qec.generate_circuit(3, 2, basis="z", noise=f"si1000:{p}"))
    assert f"DEPOLARIZE2({p})" in text
    assert f"X_ERROR({5 * p})" in text      # measurement
    assert f"X_ERROR({2 * p})" in text      # reset
    assert f"DEPOLARIZE1({p / 10:g})" in text  # single-qubit gates and idling


def test_per_qubit_factors_scale_each_qubit():
    circuit = stim.Circuit("X_ERROR(0.01) 0 1\nDEPOLARIZE2(0.02) 0 1")
    scaled = qec.scale_noise_per_qubit(circuit, {0: 4.0, 1: 1.0})
    assert str(scaled) == "X_ERROR(0.04) 0\nX_ERROR(0.01) 1\nDEPOLARIZE2(0.04) 0 1"


def test_per_qubit_noise_changes_detection_rates_where_factored():
    base = qec.generate_circuit(3, 3, basis="x", noise="uniform:0.01")
    silent = qec.scale_noise_per_qubit(base, {q: 0.0 for q in base.get_final_qubit_coordinates()})
    assert not silent.compile_detector_sampler(seed=2).sample(200).any()
    factors = qec.qubit_factors_lognormal(base, sigma=1.0, seed=4)
    noisy = qec.generate_circuit(3, 3, basis="x", noise=qec.NoiseModel("uniform", 0.01, qubit_factors=factors))
    assert noisy.num_detectors == base.num_detectors
    assert str(noisy) != str(base)


@pytest.mark.parametrize("distance, basis", [(3, "x"), (7, "z")])
def test_lognormal_noise_text_draws_the_factors_for_each_circuits_qubits(distance, basis):
    noise = qec.NoiseModel.parse("si1000:0.002+lognormal:0.7:5")
    assert noise == qec.NoiseModel("si1000", 0.002, lognormal=(0.7, 5)) and str(noise) == "si1000:0.002+lognormal:0.7:5"
    layout = qec.generate_circuit(distance, 2, basis=basis, noise="si1000:0")
    factors = qec.qubit_factors_lognormal(layout, sigma=0.7, seed=5)
    assert len(factors) == 2 * distance ** 2 - 1 and len(set(factors.values())) == len(factors)
    explicit = qec.generate_circuit(distance, 2, basis=basis, noise=qec.NoiseModel("si1000", 0.002, qubit_factors=factors))
    assert str(qec.generate_circuit(distance, 2, basis=basis, noise=noise)) == str(explicit)
    other_draw = qec.generate_circuit(distance, 2, basis=basis, noise="si1000:0.002+lognormal:0.7:6")
    assert str(other_draw) != str(explicit)
    assert str(qec.generate_circuit(distance, 2, basis=basis, noise="si1000:0.002+lognormal:0:5")) == str(
        qec.generate_circuit(distance, 2, basis=basis, noise="si1000:0.002"))


@pytest.mark.parametrize("bad, match", [
    (dict(distance=2, rounds=3), "distance=2"),
    (dict(distance=3, rounds=0), "rounds=0"),
    (dict(distance=3, rounds=3, basis="y"), "basis='y'"),
    (dict(distance=3, rounds=3, noise="depolarizing:0.1"), "noise kind"),
    (dict(distance=3, rounds=3, noise="uniform"), "not of the form"),
    (dict(distance=3, rounds=3, noise="uniform:0.01+lognormal:1"), "lognormal:SIGMA:SEED"),
    (dict(distance=3, rounds=3, noise="uniform:0.01+gaussian:1:2"), "lognormal:SIGMA:SEED"),
    (dict(distance=3, rounds=3, noise="uniform:0.01+lognormal:-1:2"), "sigma >= 0"),
])
def test_bad_experiments_are_rejected(bad, match):
    distance, rounds = bad.pop("distance"), bad.pop("rounds")
    with pytest.raises(ValueError, match=match):
        qec.generate_circuit(distance, rounds, **bad)


def test_explicit_factors_and_a_lognormal_draw_are_not_combined():
    with pytest.raises(ValueError, match="not both"):
        qec.NoiseModel("uniform", 0.01, qubit_factors={0: 2.0}, lognormal=(1.0, 2))
