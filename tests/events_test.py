import numpy as np
import pytest
import torch

from qec._events import check_events

EVENTS = np.random.default_rng(3).random((6, 21)) < 0.3


@pytest.mark.parametrize("given, bit_packed", [
    (EVENTS, False),
    (EVENTS.astype(np.uint8), False),
    (EVENTS.astype(np.int64), False),  # e.g. np.loadtxt(..., dtype=int) of a .01 file
    (torch.from_numpy(EVENTS), False),
    (torch.from_numpy(EVENTS).to(torch.int32), False),
    (np.packbits(EVENTS, axis=1, bitorder="little"), True),
    (torch.from_numpy(np.packbits(EVENTS, axis=1, bitorder="little")), True),
])
def test_every_accepted_form_gives_the_same_events(given, bit_packed):
    checked = check_events(given, 21, bit_packed=bit_packed)
    assert checked.dtype == np.bool_
    np.testing.assert_array_equal(checked, EVENTS)


@pytest.mark.parametrize("bad, kwargs, match", [
    (EVENTS[:, :20], {}, "dets: dtype=bool, shape=\\(6, 20\\); expected bool \\(num_shots, 21\\).*this circuit"),
    (EVENTS.astype(np.uint8)[:, :3], {"flag": "bit_packed_shots"}, "looks bit-packed: pass bit_packed_shots=True"),
    (EVENTS.astype(np.uint8) * 2, {}, "dets: uint8 values other than 0 and 1.*bit_packed=True"),
    (EVENTS.astype(np.int32) - 1, {}, "dets: int32 values other than 0 and 1; unpacked events must be 0 or 1$"),
    (EVENTS.astype(np.float32), {}, "dtype=float32"),
    (torch.zeros((6, 21), dtype=torch.bfloat16), {}, "dtype=bfloat16"),
    (EVENTS[0], {}, "shape=\\(21,\\)"),
    (EVENTS, {"num_shots": 5, "name": "layer 2 events"}, "layer 2 events: .*expected bool \\(5, 21\\)"),
    (np.packbits(EVENTS, axis=1)[:, :2], {"bit_packed": True}, "bit-packed dets: .*uint8 \\(num_shots, 3\\)"),
])
def test_bad_events_are_refused_with_what_was_expected(bad, kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_events(bad, 21, **{"bit_packed": False, **kwargs})
