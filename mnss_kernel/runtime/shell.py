"""Run iproute2/tc batches and commands in named network namespaces (their text: commands.py).

A lab's namespaces live in one of two places: inside the lab's own user namespace (its holder, see
holder.py: no root needed), or directly on this host (root without user namespaces). `place_for`
finds the place of a namespace by its name, so callers only ever name the namespace.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from mnss_foundation import i18n
from mnss_foundation.errors import MnssError

from . import commands


class EngineError(MnssError, RuntimeError):
    """The kernel refused to build or change the network; the message says which step."""

    def __init__(self, detail: str, code: str = "engine_failed"):
        zh, en = i18n.load(__package__)["errors"].pair(code, detail=detail)
        super().__init__(code, zh, en, detail=detail)


@dataclass
class CommandResult:
    node: str
    command: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run(
    args: list[str], stdin: str | None = None, timeout: float = 120, check: bool = True, what: str = ""
) -> subprocess.CompletedProcess:
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise EngineError(f"{what or args[0]} failed: {(done.stderr or done.stdout).strip()[:500]}")
    return done


class Direct:
    """Namespaces named on this host itself (/run/netns): root, where user namespaces are missing."""

    kind = "direct"
    pid = None
    userns = False

    def on_host(self, argv: list[str]) -> list[str]:
        return argv

    def in_netns(self, netns: str, argv: list[str]) -> list[str]:
        return commands.enter_named(netns, argv)

    def hosts_file(self, netns: str) -> tuple[str, str]:
        """(path to write from here, path inside) of the hosts file for `netns`."""
        path = f"/etc/netns/{netns}/hosts"
        return path, path


DIRECT = Direct()
_PLACES: dict[str, object] = {}  # namespace-name prefix of a lab -> its place (a Holder)


def register(prefix: str, place) -> None:
    """Namespaces whose names start with `prefix` are reached through `place` from now on."""
    _PLACES[prefix] = place


def unregister(prefix: str) -> None:
    _PLACES.pop(prefix, None)


def place_for(netns: str):
    for prefix, place in list(_PLACES.items()):
        if netns.startswith(prefix):
            return place
    return DIRECT


def in_netns(netns: str, argv: list[str]) -> list[str]:
    """argv run inside `netns` (for the engine's own short commands)."""
    return place_for(netns).in_netns(netns, argv)


def batch(lines: list[str], netns: str | None = None, tool: str = commands.IP, what: str = "", place=None) -> str:
    """Run iproute2 commands (`ip` or `tc`) in one process inside `netns`, or else where `place`
    names its namespaces (this host by default); its output."""
    if not lines:
        return ""
    args = commands.batch(tool)
    return run(
        in_netns(netns, args) if netns else (place or DIRECT).on_host(args),
        stdin="\n".join(lines) + "\n",
        what=what or f"{tool} batch in {netns or 'host'}",
    ).stdout


def parallel(jobs: list, fn, workers: int = 4, on_done=None) -> None:
    """Apply `fn` to every job on a few threads (each mostly waits on a subprocess)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for i, _ in enumerate(pool.map(fn, jobs), 1):
            if on_done:
                on_done(i)


def netns_exec(netns: str, argv: list[str]) -> list[str]:
    """argv run inside `netns` as a user's command: node names resolve (the lab's hosts file is
    /etc/hosts there), and the command is ended if the process that started it ends.

    In a holder, the lab's mount namespace has the hosts file bound over /etc/hosts already, and
    the command runs in the lab's PID namespace, under the nsenter that waits for it: --pdeathsig
    passes a signal that ends that nsenter on to the command (nsenter does not forward signals).
    Directly on the host, /etc/netns/<ns>/hosts is bound over /etc/hosts in a private mount
    namespace for this command alone.
    """
    place = place_for(netns)
    if place is not DIRECT:
        return place.in_netns(netns, commands.with_parent_death_signal(argv))
    return place.in_netns(netns, commands.with_hosts_file(place.hosts_file(netns)[1], argv))


def existing_namespaces() -> set[str]:
    """Namespaces named on this host (labs in a holder never appear here)."""
    out = run(commands.list_namespaces(), check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}
