"""A running emulation keeps the server busy, so the idle culler never stops a lab mid-exercise.

jupyter_server reports to the hub the latest of its activity sources; `last_activity_times` is
the one open to extensions. While this user has a live lab (the engine's registry), it is
refreshed, so a learner watching a long measurement or leaving a network running between cells
is not culled. A lab whose kernel died is not live and does not count.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tornado.ioloop import PeriodicCallback

KEY = "mnss-lab"


def labs_running(owner: str | None = None) -> int:
    from mnss_kernel.runtime import registry

    return sum(1 for rec in registry.records(owner or registry.default_owner()) if rec.alive())


def mark_busy(settings: dict, count=labs_running) -> bool:
    if count():
        settings.setdefault("last_activity_times", {})[KEY] = datetime.now(UTC)
        return True
    return False


def start(serverapp, seconds: float) -> PeriodicCallback:
    callback = PeriodicCallback(lambda: mark_busy(serverapp.web_app.settings), seconds * 1000)
    callback.start()
    return callback
