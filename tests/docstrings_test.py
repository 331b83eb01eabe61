import doctest
import importlib

import pytest

MODULES = ["qec", "qec._circuits", "qec._graph", "qec._sampling", "qec._network", "qec._predecoder", "qec._matching",
           "qec._decoder", "qec._stats", "qec._training", "qec._command._main", "qec._noise_learning", "qec._labels", "qec._blocks",
           "qec._sinter", "qec._stream", "qec._command._main_ler", "qec._residual_matching", "qec._reweighting",
           "qec._workers", "qec._shortcut_matching"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, raise_on_error=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
