"""A lab's own limits: how many processes and how much memory all of it may use together.

They bound one lab (its holder, every command run on its nodes and what those start), beside the
per-server or per-container limits of the hub, so a runaway process in one node stops at its own
lab. Given to `Lab(limits=...)`, else from the site's settings the hub hands the server
($MNSS_LAB_PIDS_LIMIT, $MNSS_LAB_MEM_LIMIT); 0 means none. How each is enforced (a cgroup of the
lab's own, or RLIMIT_NPROC inside its user namespace) is decided in lab.py and lab_cgroup.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from mnss_foundation import i18n
from mnss_foundation.errors import MnssError
from mnss_foundation.server_settings import ServerSettings

MIN_PROCESSES = 8  # the holder and a command's nsenter and shell need a few
MIN_MEMORY = 32 << 20  # below this a node's first Python service cannot start


class LabLimitsError(MnssError, ValueError):
    """A limit that is no whole number or too small; the message names it and its value."""


def _error(code: str, **values) -> LabLimitsError:
    return LabLimitsError.from_catalogue(i18n.load(__package__)["limits"], code, **values)


@dataclass(frozen=True)
class LabLimits:
    processes: int = 0  # tasks (processes and threads) of the whole lab; 0: no limit
    memory: int = 0  # bytes of the whole lab; 0: no limit

    def validated(self) -> LabLimits:
        if not _whole(self.processes) or 0 < self.processes < MIN_PROCESSES:
            raise _error("bad_processes", value=self.processes, minimum=MIN_PROCESSES)
        if not _whole(self.memory) or 0 < self.memory < MIN_MEMORY:
            raise _error("bad_memory", value=self.memory, minimum=MIN_MEMORY, minimum_mib=MIN_MEMORY >> 20)
        return self

    @classmethod
    def from_settings(cls, settings: ServerSettings | None = None) -> LabLimits:
        """The site's per-lab limits as the hub gave them to this server (none outside a hub)."""
        settings = ServerSettings.from_env() if settings is None else settings
        return cls(processes=settings.lab_pids_limit, memory=settings.lab_mem_limit).validated()

    def __bool__(self) -> bool:
        return bool(self.processes or self.memory)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
