"""The README's Python API block runs as written, on fewer shots and training steps."""
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_api_block() -> str:
    match = re.search(r"## Python API\n\n```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert match, "README.md has no ```python block under '## Python API'"
    return match.group(1)


@pytest.mark.filterwarnings("ignore:.*learned probabilities.*were clipped")  # 64 shots are too few, as it says
def test_the_python_api_block_runs(tmp_path, monkeypatch):
    code = re.sub(r"\b(10_000|1_000)\b", "64", python_api_block())  # the calls, not the statistics
    code = code.replace("steps=2000", "steps=2")
    assert "steps=2," in code or "steps=2)" in code
    # sinter.collect(...) stands for the user's own sinter call: only its qec part runs
    code, plugged = re.subn(r"stats = sinter\.collect\(\.\.\., custom_decoders=(.*)\)\s*#.*",
                            r"custom_decoders = \1", code)
    assert plugged == 1
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    assert namespace["predictions"].shape == (64, 1)
    assert (tmp_path / "runs" / "mine").is_dir()
    assert "qec-pipeline" in namespace["custom_decoders"]
