"""Run iproute2/tc batches and commands in named network namespaces."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

NETNS_DIR = "/run/netns"


class EngineError(RuntimeError):
    """The kernel refused to build or change the network; the message says which step."""


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


def in_netns(netns: str, argv: list[str]) -> list[str]:
    """argv run inside `netns`. nsenter mounts nothing, where `ip -n`/`ip netns exec` mount a sysfs,
    which the kernel refuses in a container whose root is not the host's root (userns-remap)."""
    return ["nsenter", f"--net=/run/netns/{netns}", *argv]


def batch(lines: list[str], netns: str | None = None, tool: str = "ip", what: str = "") -> str:
    """Run iproute2 commands (`ip` or `tc`) in one process, optionally inside `netns`; its output."""
    if not lines:
        return ""
    args = [tool, "-batch", "-"]
    return run(
        in_netns(netns, args) if netns else args,
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
    """argv run inside `netns` with its own /etc/hosts (/etc/netns/<ns>/hosts, bound over /etc/hosts
    in a private mount namespace, so names of the emulated nodes resolve there and only there)."""
    hosts = f"/etc/netns/{netns}/hosts"
    script = f'if [ -e {hosts} ]; then mount --bind {hosts} /etc/hosts || exit 125; fi; exec "$@"'
    return in_netns(netns, ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "--", *argv])


def existing_namespaces() -> set[str]:
    out = run(["ip", "netns", "list"], check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}
