"""course.yaml's `grading` section as the graders use it (CLI and formgrader alike), with defaults."""

from __future__ import annotations

import os
import re
from pathlib import Path

CELL_TIMEOUT = 30  # s per cell unless course.yaml says otherwise: a looping cell must not cost minutes
SANDBOX_KEYS = ("memory_mb", "processes", "cpu_seconds", "notebook_timeout")
GRADEBOOK_ENV = "MNSS_GRADEBOOK_URL"  # a person's override of course.yaml's gradebook_url
SITE_GRADEBOOK_ENV = "MNSS_SITE_GRADEBOOK_URL"  # the site's courses.gradebook_url, set by the hub for formgraders


def cell_timeout(settings: dict) -> int:
    return int(settings.get("cell_timeout", CELL_TIMEOUT))


def sandbox_options(settings: dict) -> dict:
    """The settings that are limits of the sandbox (`SandboxExecute` traits)."""
    return {k: settings[k] for k in SANDBOX_KEYS if k in settings}


def gradebook_url(settings: dict, root: str | Path) -> str:
    """$MNSS_GRADEBOOK_URL, else `grading.gradebook_url` with ${VAR} taken from the environment (keep
    passwords out of the file), else nbgrader's SQLite gradebook.db in the root. ValueError names a
    variable the URL uses that is not set."""
    url = os.environ.get(GRADEBOOK_ENV) or settings.get("gradebook_url", "")
    missing = [v for v in re.findall(r"\$\{(\w+)\}", url) if v not in os.environ]
    if missing:
        raise ValueError(f"grading.gradebook_url uses ${{{missing[0]}}}, which is not set in the environment")
    url = re.sub(r"\$\{(\w+)\}", lambda m: os.environ[m.group(1)], url)
    return url or f"sqlite:///{Path(root) / 'gradebook.db'}"


def course_schema(course: str) -> str:
    """The course's own schema in a shared PostgreSQL gradebook: nbgrader's assignment names are
    unique in a whole database, so two courses with a `lan-build` each cannot share its tables."""
    return "course_" + course.replace("-", "_")


def for_course(url: str, course: str) -> str:
    """The PostgreSQL `url` in the course's schema (search_path)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    options = f"-csearch_path={course_schema(course)}"
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


def formgrader_gradebook(settings: dict, root: str | Path, course: str) -> str:
    """A formgrader's gradebook: the site's shared PostgreSQL one in the course's schema, else
    gradebook_url(settings, root)."""
    site = os.environ.get(SITE_GRADEBOOK_ENV)
    return for_course(site, course) if site else gradebook_url(settings, root)
