"""What this kernel can emulate. Checked once, before building, so a missing feature is named
up front instead of failing half-way through a build."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from . import commands, tunnel
from .shell import DIRECT, run

# Knobs that switch unprivileged user namespaces off, with what to tell the administrator.
_USERNS_SWITCHES = (
    ("/proc/sys/user/max_user_namespaces", "0", "user.max_user_namespaces is 0"),
    ("/proc/sys/kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone is 0"),
    (
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
        "1",
        "kernel.apparmor_restrict_unprivileged_userns is 1 (AppArmor restricts them)",
    ),
)


@cache
def holder_problem() -> str | None:
    """Why this process cannot make the namespaces a lab's holder needs, or None if it can: for a
    user without root, that includes a user namespace."""
    if os.geteuid() != 0:
        for path, off, why in _USERNS_SWITCHES:
            try:
                value = Path(path).read_text().strip()
            except OSError:
                continue
            if value == off:
                return _refusal(why)
    userns = os.geteuid() != 0
    probe = run(commands.namespaces_probe(userns), check=False)
    if probe.returncode != 0:
        said = (probe.stderr or probe.stdout).strip()[:200]
        if not userns:
            return f"unshare --net --mount --pid failed ({said})"
        return _refusal(
            f"unshare --user failed ({said}); in a container, the seccomp profile must allow "
            "creating user namespaces (Docker's default profile refuses it)"
        )
    return None


def _refusal(why: str) -> str:
    return (
        f"building a network without root needs unprivileged user namespaces, which this system "
        f"does not allow: {why}; ask the administrator to allow them, or run as root "
        f"(无 root 构建网络需要非特权用户命名空间，本系统不允许：{why}；请管理员开启，或以 root 运行)"
    )


@cache
def has_qdisc(kind: str) -> bool:
    """Try to attach qdisc `kind` to loopback in a throw-away network namespace."""
    return run(commands.qdisc_probe(kind, os.geteuid() != 0), check=False).returncode == 0


_SYSCTL_ACCESS: dict[str, str] = {}


def sysctl_access(place=DIRECT) -> str:
    """How kernel settings can be written where `place` runs a lab: 'direct', 'remount' or 'none'.

    - direct: /proc/sys is writable (the host, a VM; also inside a lab's user namespace, for the
      settings of the network namespaces it owns).
    - remount: /proc/sys is read-only (Docker mounts it so) but CAP_SYS_ADMIN may make it writable
      in a private mount namespace, for that one command; the container's own view is unchanged.
    - none: the read-only mount is locked (a container whose root is an unprivileged user on the
      host, dockerd's userns-remap, or a lab's own user namespace in such a container). New
      namespaces then keep the IPv4 settings they inherit from the host, where Docker has turned
      forwarding on; the engine checks rather than assumes that.
    """
    if place.kind not in _SYSCTL_ACCESS:
        if not os.statvfs("/proc/sys").f_flag & os.ST_RDONLY:
            access = "direct"
        else:
            probe = place.on_host(commands.proc_sys_remount_probe())
            access = "remount" if run(probe, check=False).returncode == 0 else "none"
        _SYSCTL_ACCESS[place.kind] = access
    return _SYSCTL_ACCESS[place.kind]


def missing_for(topo) -> list[str]:
    """One line per thing this system cannot emulate: user namespaces for a user without root,
    then each link property the kernel lacks, naming the link and the feature."""
    if os.geteuid() != 0 and holder_problem():
        return [holder_problem()]
    problems = []
    if tunnel.gateway_of(topo) and tunnel.missing():
        problems.append(tunnel.missing())
    for link in topo.links:
        wants = [k for k in ("delay", "jitter", "loss") if getattr(link, k)]
        if wants and not has_qdisc("netem"):
            problems.append(
                f"link {link.a}-{link.b}: {', '.join(wants)} need the kernel's netem qdisc (sch_netem), "
                "which this kernel does not provide ('Specified qdisc kind is unknown'); remove them "
                "or run on a kernel with sch_netem"
            )
        if link.bw and not has_qdisc("htb"):
            problems.append(f"link {link.a}-{link.b}: bw needs the kernel's htb qdisc (sch_htb), which is missing")
    return problems
