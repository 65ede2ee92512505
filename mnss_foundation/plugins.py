"""Hooks through which a lower layer tells the layers above it something without importing them.

The lower package names an entry-point group and calls what is registered there (the engine:
"a lab started"; the course exchange: "a learner fetched, submitted, got feedback"); the
package above registers its function under that group in pyproject.toml. Entry points are read
from the installed package metadata, so after changing them the project must be reinstalled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points

log = logging.getLogger(__name__)

REINSTALL = "reinstall the project (pip install --no-deps -e .) so its entry points are registered"


def registered(group: str) -> list[EntryPoint]:
    """The entry points of `group` by name; a name seen twice (an install plus a checkout on the
    path) counts once, the first one found winning as Python's own import does."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=group):
        found.setdefault(point.name, point)
    return [found[name] for name in sorted(found)]


def hooks(group: str) -> list[tuple[str, Callable]]:
    """(name, function) for each hook of `group`. One that cannot be loaded is logged with its
    name and the error and left out: a broken add-on must not stop the layer that calls it."""
    loaded = []
    for point in registered(group):
        try:
            loaded.append((point.name, point.load()))
        except Exception as err:  # an add-on's import may fail in any way
            log.error(
                "%s: hook %r (%s) could not be loaded: %s: %s", group, point.name, point.value, type(err).__name__, err
            )
    return loaded


def call(group: str, *args, **kwargs) -> None:
    """Call every hook of `group` in name order; an exception of a hook reaches the caller."""
    for _name, hook in hooks(group):
        hook(*args, **kwargs)
