"""The drawing kept in the notebook: the canvas puts it into its widget state, and a canvas made
in a new kernel finds the latest one of its key in the saved notebook."""

import json

from mnss_kernel.canvas import TopologyCanvas
from mnss_kernel.canvas.keep import WIDGET_STATE, saved_drawing


def save_notebook(path, *canvases):
    """What JupyterLab writes with saveState on: every live model's state under metadata.widgets."""
    state = {c.model_id: {"model_name": "VBoxModel", "state": c.get_state()} for c in canvases}
    state["other"] = {"model_name": "HTMLModel", "state": {"value": "x"}}
    notebook = {"cells": [], "metadata": {"widgets": {WIDGET_STATE: {"state": state}}}, "nbformat": 4}
    path.write_text(json.dumps(notebook, default=str))


def test_a_new_kernel_brings_the_last_drawing_back(tmp_path, monkeypatch):
    first = TopologyCanvas(language="en")
    first.add_node("host")
    older = TopologyCanvas(language="en")
    older.mnss_saved_at = 0
    ward = TopologyCanvas(language="en", key="ward")
    ward.add_node("switch")
    first.add_node("switch")
    first.connect("h1", "s1")
    first.editor.move("h1", 10, 20)
    notebook = tmp_path / "lab.ipynb"
    save_notebook(notebook, older, first, ward)
    assert saved_drawing(notebook, "canvas") == first.topology.to_dict()

    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    again = TopologyCanvas(language="en")
    assert again.topology.to_dict() == first.topology.to_dict()
    assert again.topology.node("h1").position == {"x": 10, "y": 20}
    assert "Brought back the drawing saved in this notebook." in again.message.value
    assert TopologyCanvas(language="en", key="ward").topology.names() == ["s1"]
    assert TopologyCanvas(language="en", key="nosuch").topology.nodes == []


def test_no_notebook_or_no_saved_state_means_an_empty_canvas(tmp_path, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "missing.ipynb"))
    assert TopologyCanvas(language="en").topology.nodes == []
    (tmp_path / "plain.ipynb").write_text('{"cells": [], "metadata": {}}')
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "plain.ipynb"))
    assert TopologyCanvas(language="en").topology.nodes == []
    (tmp_path / "broken.ipynb").write_text("{not json")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "broken.ipynb"))
    assert TopologyCanvas(language="en").topology.nodes == []
