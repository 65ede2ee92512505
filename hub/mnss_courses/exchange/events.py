"""What the exchange client tells the layers above it: a learner fetched an assignment,
submitted it, or unpacked its feedback.

The activity extension turns these into learning events; the exchange does not import it
(dependencies point one way), it calls the hooks registered under GROUP (see mnss_foundation.plugins).
"""

from __future__ import annotations

from dataclasses import dataclass

from mnss_foundation import plugins

GROUP = "mnss_courses.exchange_events"
STEPS = ("fetched", "submitted", "feedback")


@dataclass(frozen=True)
class ExchangeEvent:
    step: str  # one of STEPS
    course: str
    assignment: str
    files: tuple[str, ...] = ()  # for "feedback": the files unpacked into the learner's folder
    key: str = ""  # for "submitted": the exchange's key of the submission (the same for a resubmission)


def announce(step: str, course: str, assignment: str, files=(), key: str = "") -> None:
    """Call every registered hook with the event."""
    if step not in STEPS:
        raise ValueError(f"exchange event step {step!r} is not one of {', '.join(STEPS)}")
    plugins.call(GROUP, ExchangeEvent(step, course, assignment, tuple(str(f) for f in files), key))
