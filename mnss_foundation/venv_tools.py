"""The tools of this Python environment findable by name: nbgrader and JupyterHub run `alembic`
(and kernels) by name, and hub services get a bare PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def tools_on_path() -> None:
    """Put this environment's bin folder first on $PATH, unless it is there already."""
    tools = str(Path(sys.prefix) / "bin")
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([tools, os.environ.get("PATH", os.defpath)])
