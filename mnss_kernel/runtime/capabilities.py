"""What this kernel can emulate. Checked once, before building, so a missing feature is named
up front instead of failing half-way through a build."""

from __future__ import annotations

import os
import uuid
from functools import cache

from .shell import in_netns, run


@cache
def has_qdisc(kind: str) -> bool:
    """Try to attach qdisc `kind` to loopback in a throw-away namespace."""
    ns = f"mnss-probe-{uuid.uuid4().hex[:8]}"
    if run(["ip", "netns", "add", ns], check=False).returncode != 0:
        return False
    try:
        args = {"netem": ["delay", "1ms"], "htb": ["default", "1"]}.get(kind, [])
        return run(in_netns(ns, ["tc", "qdisc", "add", "dev", "lo", "root", kind] + args), check=False).returncode == 0
    finally:
        run(["ip", "netns", "del", ns], check=False)


@cache
def sysctl_access() -> str:
    """How kernel settings can be written here: 'direct', 'remount' or 'none'.

    - direct: /proc/sys is writable (the host, a VM).
    - remount: /proc/sys is read-only (Docker mounts it so) but CAP_SYS_ADMIN may make it writable
      in a private mount namespace, for that one command; the container's own view is unchanged.
    - none: the read-only mount is locked (a container whose root is an unprivileged user on the
      host, dockerd's userns-remap). New namespaces then keep the IPv4 settings they inherit from
      the host, where Docker has turned forwarding on; the engine checks rather than assumes that.
    """
    if not os.statvfs("/proc/sys").f_flag & os.ST_RDONLY:
        return "direct"
    probe = ["unshare", "--mount", "sh", "-c", "mount -o remount,rw,bind /proc/sys"]
    return "remount" if run(probe, check=False).returncode == 0 else "none"


def missing_for(topo) -> list[str]:
    """One line per link property this kernel cannot emulate, naming the link and the feature."""
    problems = []
    if os.geteuid() != 0:
        return ["building a network needs root (network namespaces); run as root or in the lab container"]
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
