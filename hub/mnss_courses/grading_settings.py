"""course.yaml's `grading` section as the graders use it (CLI and formgrader alike), with defaults."""

from __future__ import annotations

CELL_TIMEOUT = 30  # s per cell unless course.yaml says otherwise: a looping cell must not cost minutes
SANDBOX_KEYS = ("memory_mb", "processes", "cpu_seconds", "notebook_timeout")


def cell_timeout(settings: dict) -> int:
    return int(settings.get("cell_timeout", CELL_TIMEOUT))


def sandbox_options(settings: dict) -> dict:
    """The settings that are limits of the sandbox (`SandboxExecute` traits)."""
    return {k: settings[k] for k in SANDBOX_KEYS if k in settings}
