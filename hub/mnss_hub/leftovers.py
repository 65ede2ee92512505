"""What servers left behind that the hub no longer runs, ended once at hub start-up.

JupyterHub itself stops, at start-up, every server its database lists as running whose container
or process has gone. What it never hears of stays: a container or service created by a spawn the
hub crashed in the middle of, or one a crashed stop did not remove. The hub's spawner class ends
the objects of its kind that no server listed as running names, or in local mode the processes
and labs of users with no such server (`end_leftovers`), before
JupyterHub's own check (hubapp). Logs give counts only, no user names.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

from jupyterhub import orm

# The spawner that sweeps serves nobody, but DockerSpawner renders its object names from a user.
NOBODY = SimpleNamespace(name="leftover-sweep", url="/user/leftover-sweep/")


def in_use(states: Iterable[dict]) -> set[str]:
    """Ids and names of the containers or services that the running servers' states name."""
    used = set()
    for state in states:
        used |= {str(state[key]) for key in ("object_id", "object_name") if state.get(key)}
    return used


def unused(found: dict[str, str], used: set[str]) -> list[str]:
    """Of `found` (id -> name), the ids neither whose id nor whose name a running server uses."""
    return sorted(ident for ident, name in found.items() if ident not in used and name not in used)


async def sweep(app) -> None:
    """End the leftovers of the hub's spawner class, if it can find any; never stops start-up."""
    spawner_class = app.spawner_class
    if not hasattr(spawner_class, "end_leftovers"):
        return
    running = app.db.query(orm.Spawner).filter(orm.Spawner.server != None).all()  # noqa: E711 (SQL)
    try:
        spawner = spawner_class(config=app.config, user=NOBODY)
        running_users = {s.user.name for s in running}
        idle_users = {name for (name,) in app.db.query(orm.User.name)} - running_users
        ended = await spawner.end_leftovers(in_use(s.state or {} for s in running), running_users, idle_users)
    except Exception:
        app.log.exception("Looking for servers' leftovers failed; the hub starts anyway")
        return
    if ended:
        kind = getattr(spawner, "leftover_kind", "object(s)")
        app.log.warning("Ended %d leftover %s of servers that no longer run (after a hub crash?)", ended, kind)
    else:
        app.log.info("No leftovers of servers that no longer run")
