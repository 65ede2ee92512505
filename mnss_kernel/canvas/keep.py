"""Keeping the drawing in the notebook: the canvas syncs its topology into its widget state, which
JupyterLab saves into the notebook (the `saveState` override we install); a new kernel finds it
there again, so a reload or server restart brings the drawing back without saving by hand."""

from __future__ import annotations

import json
import os
from pathlib import Path

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def notebook_path() -> Path | None:
    """The notebook this kernel runs for (jupyter_server tells the kernel in $JPY_SESSION_NAME)."""
    name = os.environ.get("JPY_SESSION_NAME", "")
    path = Path(name)
    return path if name.endswith(".ipynb") and path.is_file() else None


def saved_drawing(notebook: Path, key: str) -> dict | None:
    """The latest drawing a canvas with this `key` left in the notebook's saved widget state."""
    try:
        data = json.loads(notebook.read_text("utf-8"))
        models = data["metadata"]["widgets"][WIDGET_STATE]["state"].values()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    kept = [
        m["state"]
        for m in models
        if isinstance(m, dict)
        and isinstance(m.get("state"), dict)
        and m["state"].get("mnss_key") == key
        and m["state"].get("mnss_drawing")
    ]
    if not kept:
        return None
    return max(kept, key=lambda state: state.get("mnss_saved_at") or 0)["mnss_drawing"]
