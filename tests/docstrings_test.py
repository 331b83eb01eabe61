import doctest
import importlib
import pkgutil

import pytest

import qec

# Every module of the package (its __main__ runs the command line on import), so a new one is never missed.
MODULES = ["qec"] + [m.name for m in pkgutil.walk_packages(qec.__path__, "qec.") if not m.name.endswith("__main__")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, raise_on_error=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
