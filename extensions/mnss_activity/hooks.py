"""The activity extension's side of the hooks the engine and the course exchange offer.

They announce ("a lab started", "a learner fetched, submitted, got feedback") through entry-point
groups without importing this package; pyproject.toml registers the functions below there.
"""

from __future__ import annotations

import os

from mnss_foundation import plugins

from .buffer import record_if_enabled
from .graded import record_feedback
from .items import item_for

# group -> entry-point name this package registers there (pyproject.toml)
REGISTERED = {"mnss_kernel.lab_started": "activity", "mnss_courses.exchange_events": "activity"}


def lab_started(lab) -> None:
    """A learning event when a network starts in a course notebook (if activity is recorded)."""
    record_if_enabled(item_for(os.environ.get("JPY_SESSION_NAME")), "topology_run")


def exchange_event(event) -> None:
    """'fetched' and 'submitted' as they are; feedback becomes 'graded' with the score read from it."""
    if event.step == "feedback":
        record_feedback(event.course, event.assignment, event.files)
    else:
        # a submission is one event however often its answer was lost and Submit pressed again
        event_id = f"submitted-{event.key}" if event.step == "submitted" and event.key else None
        record_if_enabled(f"{event.course}/{event.assignment}", event.step, event_id=event_id)


def missing() -> list[str]:
    """The groups where this package's hooks are not registered in the installed metadata (an
    install older than pyproject.toml): those events would be lost without a word."""
    return [
        group for group, name in REGISTERED.items() if name not in {point.name for point in plugins.registered(group)}
    ]
