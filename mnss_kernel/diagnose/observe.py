"""What a running lab looks like from inside: one read per node (interfaces, routes, forwarding
rules, htb rates) and the measurements (ping matrix, traceroutes). Only what any admin could see
with ip, iptables, tc, ping and traceroute; never the lab's own record of the faults it put in.

Parsing is in pure functions (`parse_*`), tested on captured output.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from .. import measure
from ..catalog import role
from ..runtime import commands

SEPARATOR = "@@mnss-diagnose@@"
RATE = re.compile(r"\brate (\d+(?:\.\d+)?)([KMGT]?)bit\b", re.IGNORECASE)
_SCALE = {"": 1e-6, "K": 1e-3, "M": 1.0, "G": 1e3, "T": 1e6}


@dataclass
class Port:
    """One interface as `ip link` shows it."""

    admin_up: bool
    carrier: bool
    master: str | None = None


@dataclass
class Rule:
    """A FORWARD rule that drops traffic, as `iptables -S` prints it."""

    src: str | None
    dst: str | None
    proto: str | None
    port: int | None
    line: str


@dataclass
class NodeView:
    ports: dict[str, Port] = field(default_factory=dict)
    routes: dict[str, str | None] = field(default_factory=dict)  # destination -> gateway (None: on-link)
    drops: list[Rule] = field(default_factory=list)
    policy: str | None = None  # FORWARD chain policy
    rates: dict[str, float] = field(default_factory=dict)  # interface -> htb rate in Mbit/s
    error: str = ""


@dataclass
class Observation:
    nodes: dict[str, NodeView]
    pings: pd.DataFrame
    traces: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    seconds: float = 0.0


def parse_links(text: str) -> dict[str, Port]:
    ports = {}
    for item in json.loads(text or "[]"):
        flags = item.get("flags", [])
        ports[item["ifname"]] = Port("UP" in flags, "LOWER_UP" in flags, item.get("master"))
    return ports


def parse_routes(text: str) -> dict[str, str | None]:
    return {item["dst"]: item.get("gateway") for item in json.loads(text or "[]")}


def _option(words: list[str], *names: str) -> str | None:
    for name in names:
        if name in words and words.index(name) + 1 < len(words):
            return words[words.index(name) + 1]
    return None


def parse_forward_rules(text: str) -> tuple[str | None, list[Rule]]:
    """(policy, rules that drop) from `iptables -S FORWARD`."""
    policy, drops = None, []
    for line in text.splitlines():
        words = line.split()
        if words[:2] == ["-P", "FORWARD"] and len(words) > 2:
            policy = words[2]
        elif words[:2] == ["-A", "FORWARD"] and _option(words, "-j") in ("DROP", "REJECT"):
            port = _option(words, "--dport")
            drops.append(
                Rule(
                    _option(words, "-s"), _option(words, "-d"), _option(words, "-p"), int(port) if port else None, line
                )
            )
    return policy, drops


def parse_rates(text: str) -> dict[str, float]:
    """{interface: Mbit/s} from the `DEV <name>` headed blocks of `tc class show dev` output."""
    rates, dev = {}, None
    for line in text.splitlines():
        if line.startswith("DEV "):
            dev = line.split()[1]
            continue
        m = RATE.search(line)
        if dev and m and "htb" in line and dev not in rates:
            rates[dev] = float(m.group(1)) * _SCALE[m.group(2).upper()]
    return rates


def read_command(l3: bool) -> str:
    """The one shell command that reads a node: links, IPv4 routes, FORWARD rules, and the htb
    classes of the interfaces that have an htb qdisc (one tc call per shaped interface only)."""
    return commands.read_node(l3, SEPARATOR)


def parse_read(text: str) -> NodeView:
    sections = text.split(SEPARATOR)
    if len(sections) != 4:
        return NodeView(error=f"unexpected output: {text.strip()[:200]}")
    links, routes, rules, classes = sections
    policy, drops = parse_forward_rules(rules)
    return NodeView(parse_links(links), parse_routes(routes), drops, policy, parse_rates(classes))


def read_nodes(lab, plan, nodes: list) -> dict[str, NodeView]:
    def read(node) -> tuple[str, NodeView]:
        done = lab.cmd(node.name, read_command(role(node.kind) != "switch"), timeout=30)
        view = parse_read(done.stdout)
        if done.returncode and not view.ports:
            view.error = (done.stderr or done.stdout).strip()[:200]
        return node.name, view

    with ThreadPoolExecutor(max_workers=16) as pool:
        return dict(pool.map(read, nodes))


def ping_all(lab, plan, topology, count: int = 2, timeout: float = 0.5) -> pd.DataFrame:
    """The ping matrix between every addressed node of the intended topology."""
    nodes = [n.name for n in topology.nodes if role(n.kind) != "switch" and plan.address(n.name) is not None]
    return measure.ping_matrix(lab, nodes, count=count, timeout=timeout)


def trace(lab, pairs: list[tuple[str, str]], max_hops: int = 8) -> dict[tuple[str, str], pd.DataFrame]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = pool.map(lambda p: (p, measure.traceroute(lab, p[0], p[1], max_hops=max_hops)), pairs)
        return dict(found)
