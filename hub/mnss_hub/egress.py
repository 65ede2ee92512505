"""What learners' servers may reach beyond the host: the host itself, and else only the
destinations the site lets their user reach through the virtual-real tunnel.

The rules are the host firewall's, out of the learner's reach, and hold everything the learner runs,
the slirp4netns of their labs' gateways included (it carries a rootless lab's outside traffic over
the server's own sockets): a learner who takes their gateway's rules away, as root of their own
lab, still reaches nothing more. Replies always pass.
- local mode with own accounts: a chain per account in OUTPUT, matched by its uid; loopback (the
  hub and its services) stays open, IPv6 leaves through loopback only;
- docker mode: a chain per user network in Docker's DOCKER-USER (below).
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterable

CHAIN_PREFIX = "MNSS-EGRESS-"  # + the account's uid
TOOLS = ("iptables", "ip6tables")


class EgressError(RuntimeError):
    """The host's firewall refused the rules; the server must not start without them."""


def chain(uid: int) -> str:
    return f"{CHAIN_PREFIX}{uid}"


def hook(uid: int) -> list[str]:
    """The OUTPUT rule that sends the account's packets through its chain."""
    return ["-m", "owner", "--uid-owner", str(uid), "-j", chain(uid)]


def rules(tool: str, uid: int, allowed: Iterable[tuple[str, int]]) -> str:
    """iptables-restore input (with --noflush) that fills the account's chain anew, in one step:
    `allowed` are (IPv4 prefix, TCP port) pairs; IPv6 gets none."""
    name = chain(uid)
    reject = "icmp6-adm-prohibited" if tool == "ip6tables" else "icmp-admin-prohibited"
    opened = [] if tool == "ip6tables" else allowed
    return "\n".join(
        [
            "*filter",
            f":{name} - [0:0]",  # declared: created, or emptied when it exists
            f"-A {name} -o lo -j RETURN",
            f"-A {name} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN",
            *(
                f"-A {name} -d {prefix} -p tcp --dport {port} -m conntrack --ctstate NEW -j RETURN"
                for prefix, port in opened
            ),
            f"-A {name} -j REJECT --reject-with {reject}",
            "COMMIT",
            "",
        ]
    )


def _run(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:  # iptables not installed: a refusal that names it
        return subprocess.CompletedProcess(argv, 127, "", f"{argv[0]} is not installed (Debian package iptables)")


def _fill_and_enter(tool: str, text: str, parent: str, entry: list[str]) -> subprocess.CompletedProcess:
    """Fill a chain with iptables-restore `text`, then make sure `parent` jumps to it first (once)."""
    done = _run([f"{tool}-restore", "-w", "--noflush"], text)
    if done.returncode == 0 and _run([tool, "-w", "-C", parent, *entry]).returncode != 0:
        done = _run([tool, "-w", "-I", parent, "1", *entry])
    return done


def _remove(tool: str, name: str, parents: Iterable[str], entry: list[str]) -> None:
    """Take every jump `entry` out of `parents`, then empty and delete the chain `name`."""
    for parent in parents:
        while _run([tool, "-w", "-D", parent, *entry]).returncode == 0:
            pass
    _run([tool, "-w", "-F", name])
    _run([tool, "-w", "-X", name])


def limit(uid: int, allowed: Iterable[tuple[str, int]] = ()) -> None:
    """Hold the account to this machine and `allowed`; replaces what it was held to before."""
    allowed = list(allowed)
    for tool in TOOLS:
        done = _fill_and_enter(tool, rules(tool, uid, allowed), "OUTPUT", hook(uid))
        if done.returncode != 0:
            raise EgressError(
                f"无法限制服务器的对外网络 / cannot limit the server's network ({tool}): {done.stderr.strip()[-300:]}"
            )


def release(uid: int) -> None:
    """Remove the account's chain and its hook (the server is gone; a next start sets them again)."""
    for tool in TOOLS:
        _remove(tool, chain(uid), ["OUTPUT"], hook(uid))


def limited_uids() -> set[int]:
    """The accounts whose chains exist (for the sweep of a hub that was killed)."""
    listed = _run(["iptables", "-w", "-S"]).stdout.splitlines()
    return {int(line.split()[1].removeprefix(CHAIN_PREFIX)) for line in listed if line.startswith(f"-N {CHAIN_PREFIX}")}


# -- docker mode: the containers of the user network -------------------------------------------
# One chain per user network, in Docker's DOCKER-USER (FORWARD, before Docker's own rules): what
# the containers send past the host is rejected but replies and what grant() opened for a granted
# user's container (by its address, tagged with its id). The hub and its services are the host's
# own address on that network (INPUT, not FORWARD), so they stay reachable.

GRANT_TAG = "mnss-grant:"


def network_chain(bridge: str) -> str:
    return f"MNSS-EG-{bridge}"  # e.g. MNSS-EG-br-0123456789ab: iptables takes up to 28 characters


def _listed(chain_name: str) -> list[str]:
    """The chain's rules as `iptables -S` prints them."""
    return _run(["iptables", "-w", "-S", chain_name]).stdout.splitlines()


def _words(rule: str) -> list[str]:
    return shlex.split(rule)  # iptables quotes comments: "mnss-grant:..."


def _grant_tag(container_id: str) -> str:
    return f"{GRANT_TAG}{container_id[:12]}"


def close_network(bridge: str) -> None:
    """Hold every container on `bridge` to the host; the grants of containers that still run are
    kept (a hub restart leaves its servers running), the rest is written anew in one step."""
    name = network_chain(bridge)
    kept = [line for line in _listed(name) if GRANT_TAG in line and line.startswith("-A ")]
    text = "\n".join(
        [
            "*filter",
            f":{name} - [0:0]",
            f"-A {name} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN",
            *kept,
            f"-A {name} -j REJECT --reject-with icmp-admin-prohibited",
            "COMMIT",
            "",
        ]
    )
    parent = "DOCKER-USER" if _run(["iptables", "-w", "-S", "DOCKER-USER"]).returncode == 0 else "FORWARD"
    done = _fill_and_enter("iptables", text, parent, ["-i", bridge, "-j", name])
    if done.returncode != 0:
        raise EgressError(
            f"无法限制容器的对外网络 / cannot limit the containers' network: {done.stderr.strip()[-300:]}"
        )


def grant(bridge: str, container_id: str, address: str, allowed: Iterable[tuple[str, int]]) -> None:
    """Let the container at `address` open TCP connections to the `allowed` (prefix, port) pairs."""
    name = network_chain(bridge)
    for prefix, port in allowed:
        rule = ["-s", f"{address}/32", "-d", prefix, "-p", "tcp", "--dport", str(port)]
        rule += ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", _grant_tag(container_id)]
        done = _run(["iptables", "-w", "-I", name, "2", *rule, "-j", "RETURN"])
        if done.returncode != 0:
            revoke(bridge, container_id)
            raise EgressError(f"无法开放通道去向 / cannot open the tunnel's destinations: {done.stderr.strip()[-300:]}")


def revoke(bridge: str, container_id: str) -> None:
    """Take back what grant() opened for this container (it stopped: its address may be reused)."""
    name, tag = network_chain(bridge), _grant_tag(container_id)
    for line in _listed(name):
        if tag in line and line.startswith(f"-A {name} "):
            _run(["iptables", "-w", "-D", name, *_words(line)[2:]])


def granted_ids(bridge: str) -> set[str]:
    """The (12-character) ids of the containers holding grants."""
    return {
        word.removeprefix(GRANT_TAG)
        for line in _listed(network_chain(bridge))
        for word in _words(line)
        if word.startswith(GRANT_TAG)
    }


def release_network(bridge: str) -> None:
    """Remove the network's chain and its entry (the network is gone, or its egress is open)."""
    name = network_chain(bridge)
    _remove("iptables", name, ("DOCKER-USER", "FORWARD"), ["-i", bridge, "-j", name])
