"""Which course notebook a path is: fetched assignments live at <course>/<assignment>/<name>.ipynb."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

ID = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


def item_for(path: str | None) -> str | None:
    """'course-id/assignment-id' for a notebook inside a fetched assignment, else None."""
    if not path or not path.endswith(".ipynb"):
        return None
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if len(parts) < 3:
        return None
    course, assignment = parts[-3], parts[-2]
    return f"{course}/{assignment}" if ID.match(course) and ID.match(assignment) else None
