"""Every notebook executes headless in its fast mode (QEC_NOTEBOOK_FAST=1)."""

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("matplotlib")

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_fast_mode(path, tmp_path, monkeypatch):
    monkeypatch.setenv("QEC_NOTEBOOK_FAST", "1")
    monkeypatch.setenv("QEC_FIGURES_DIR", str(tmp_path / "figures"))
    book = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    figures = list((tmp_path / "figures").glob("*.png"))
    assert figures, "the notebook saved no figure"
