import numpy as np
import pytest

import qec
from qec._event_fit import FIT_RATIO, MIN_RESOLUTION, event_fit


def shots(distance, rounds, basis, noise, num_shots, seed=1):
    return qec.generate_circuit(distance, rounds, basis=basis, noise=noise).compile_detector_sampler(
        seed=seed).sample(num_shots)


def graph(distance, rounds, basis="x", noise="uniform:0.005"):
    return qec.DecodingGraph.from_circuit(qec.generate_circuit(distance, rounds, basis=basis, noise=noise))


def read_as(dets, num_detectors):
    """The bits of ``dets`` cut into shots of ``num_detectors``, as a b8 file read with that count is."""
    flat = dets.reshape(-1)
    whole = len(flat) // num_detectors
    return flat[:whole * num_detectors].reshape(whole, num_detectors)


@pytest.mark.parametrize("circuit_noise, shot_noise", [
    ("uniform:0.005", "uniform:0.005"),
    ("uniform:0.002", "uniform:0.008"),                 # shots four times noisier than the circuit
    ("uniform:0.004", "uniform:0.001"),                 # and four times quieter
    ("uniform:0.004", "si1000:0.004"),                  # another kind of noise
    ("uniform:0.004", "uniform:0.004+lognormal:1:3"),   # noise that varies across qubits
])
def test_shots_of_the_circuit_fit_whatever_their_noise(circuit_noise, shot_noise):
    fit = event_fit(graph(5, 5, noise=circuit_noise), shots(5, 5, "x", shot_noise, 6000))
    judged = fit.round_resolution >= MIN_RESOLUTION
    assert fit.fits and judged.sum() >= len(judged) - 1  # the last round has the fewest edges
    assert np.all(fit.round_ratios[judged] > 0.7)  # above 1 where the shots' noise leans on other edges


@pytest.mark.parametrize("recorded, read_with", [
    ((5, 5, "x"), (7, 5, "x")),    # another distance
    ((5, 5, "x"), (5, 6, "x")),    # one round more
    ((5, 10, "x"), (5, 5, "x")),   # shots twice as long: every other shot is laid out right
    ((5, 5, "x"), (5, 5, "z")),    # another basis, the same detector count
])
def test_shots_read_with_another_circuits_detector_count_do_not_fit(recorded, read_with):
    target = graph(*read_with)
    fit = event_fit(target, read_as(shots(*recorded, "uniform:0.005", 6000), target.num_detectors))
    assert not fit.fits
    assert np.min(fit.round_ratios[fit.misfit_rounds]) < FIT_RATIO


def test_too_few_shots_judge_nothing():
    target = graph(7, 5)
    fit = event_fit(target, read_as(shots(5, 5, "x", "uniform:0.005", 60), target.num_detectors))
    assert fit.fits and np.all(fit.round_resolution < MIN_RESOLUTION)


def test_decode_and_learn_noise_warn_about_a_b8_file_from_another_circuit(tmp_path):
    import warnings

    import stim

    from qec._command._main import main
    small = qec.generate_circuit(5, 5, basis="z", noise="uniform:0.005")
    (tmp_path / "d5.stim").write_text(str(small))
    (tmp_path / "d7.stim").write_text(str(qec.generate_circuit(7, 5, basis="z", noise="uniform:0.005")))
    stim.write_shot_data_file(data=small.compile_detector_sampler(seed=2).sample(4000), path=str(tmp_path / "d.b8"),
                              format="b8", num_detectors=small.num_detectors)
    for command in (["decode", "--decoder", "pymatching", "--out", str(tmp_path / "p.01")],
                    ["learn-noise", "--out", str(tmp_path / "l.dem")]):
        reference = "--reference" if command[0] == "learn-noise" else "--circuit"
        for circuit, warned in (("d5.stim", False), ("d7.stim", True)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                main(command_line_args=command + ["--events", str(tmp_path / "d.b8"), reference,
                                                  str(tmp_path / circuit), "--no-progress"])
            misfit = [str(w.message) for w in caught if "do not look like shots of this circuit" in str(w.message)]
            assert len(misfit) == warned, [str(w.message) for w in caught]
            if warned:
                assert "d.b8" in misfit[0] and "240 detectors per shot" in misfit[0]


def test_learn_noise_warns_about_shots_of_the_other_basis():
    z_circuit = qec.generate_circuit(5, 5, basis="z", noise="uniform:0.005")
    with pytest.warns(UserWarning, match="do not look like shots of this circuit"):
        qec.learn_noise(shots(5, 5, "x", "uniform:0.005", 20000), z_circuit)


def test_a_command_prints_a_warning_as_one_line_that_names_it():
    import warnings

    from qec._command._main import warnings_as_lines
    message = "the events do not look like shots of this circuit"
    with warnings_as_lines("qec decode"):
        line = warnings.formatwarning(message, UserWarning, "file.py", 1)
    assert line == f"qec decode: warning: {message}\n"
    assert "UserWarning" in warnings.formatwarning(message, UserWarning, "file.py", 1)  # Python's format again
