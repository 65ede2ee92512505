"""Faults from the catalogue, applied together and repaired in any order, restore the plan exactly.

One lab of real namespaces is reused throughout. Its kernel state (per node: routes, links, qdiscs,
htb classes and iptables rules) is snapshotted as built; then every fault alone, every pair and every
triple of a set of faults chosen from `faults.candidates` so that they meet on the same links, ports,
routes and nodes, are applied and repaired, and the snapshot is compared at every step: after each
repair the state must be the one of the faults still in effect alone, and at the end the plan
(for triples: after the first repair, when the pair left has been checked already, and at the end).
Left out is what the kernel derives, some of it up to a second after a change: carrier and
operational state, a route's "linkdown" mark, interface indexes (a re-created bridge gets a new
one), the default qdisc (a down interface gets it once up), empty all-accepting iptables tables.
Links are shaped with htb only (this kernel has no netem; the netem layouts are unit-tested).
"""

import os
import re
import time
from itertools import combinations, permutations

import pytest

from mnss_kernel import faults
from mnss_kernel.runtime import Lab, shell
from mnss_kernel.runtime.capabilities import has_qdisc
from mnss_kernel.topology import Topology
from tests.support.topologies import nodes

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("no_leftovers")]


def topology(netem: bool) -> Topology:
    """Where the kernel has netem, fw1-h3 also gets a delay (and a Throttle on it joins the faults)."""
    return Topology.from_dict(
        {
            "name": "faultmix",
            "nodes": [
                *nodes("h1:host", "s1:switch", "r1:router"),
                {
                    "name": "fw1",
                    "kind": "firewall",
                    "rules": [{"action": "deny", "src": "any", "dst": "any", "proto": "udp", "port": 53}],
                },
                {"name": "h3", "kind": "host"},
            ],
            "links": [
                {"a": "h1", "b": "s1", "vlan": 10},
                {"a": "s1", "b": "r1", "vlan": 10, "bw": 50},  # planned htb: Throttle changes its class
                {"a": "r1", "b": "fw1"},  # no shaping: Throttle adds an htb root, its repair removes it
                {"a": "fw1", "b": "h3", **({"delay": 5} if netem else {})},
            ],
        }
    )


ALL_ORDERS = os.environ.get("MNSS_TEST_ALL_ORDERS") == "1"
H1_NET, LINK_NET, H3_NET = "10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"

# They overlap on purpose: r1's route to h3 goes over r1-fw1, r1's port on s1 is moved to another
# VLAN on the shaped link s1-r1, fw1 has a planned rule and gets two more, r1 has none and gets one.
CHOSEN = [
    faults.LinkDown("s1", "r1"),
    faults.LinkDown("r1", "fw1"),
    faults.NodeDown("r1"),
    faults.NodeDown("fw1"),
    faults.RouteRemoved("r1", H3_NET),
    faults.Throttle("s1", "r1", 1),
    faults.Throttle("r1", "fw1", 1),
    faults.WrongVlan("s1", "r1", 11),
    faults.FirewallBlock("fw1", H1_NET, H3_NET),
    faults.FirewallBlock("fw1", H3_NET, H1_NET),
    faults.FirewallBlock("r1", H1_NET, H3_NET),
]

# One shell per node, three tools: `ip -batch` and `tc -batch` print all their listings at once.
SNAPSHOT = """
echo '## routes'; printf 'route show table all\\n' | ip -4 -batch -
echo '## links'; printf 'link show\\n' | ip -o -batch -
echo '## tc'; printf '{tc}' | tc -batch -
echo '## rules'; iptables-save
"""


def _rules(text: str) -> str:
    """iptables-save without comments and counters, and without tables that hold no rules and
    accept everything (the kernel loads a table on first use; an empty one is no state)."""
    tables, current = [], None
    for line in text.splitlines():
        line = re.sub(r"\s*\[\d+:\d+\]", "", line)
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("*"):
            current = [line]
            tables.append(current)
        else:
            current.append(line)
    kept = []
    for table in tables:
        rules = [line for line in table if line.startswith("-A")]
        policies = [line.split()[1] for line in table if line.startswith(":")]
        if rules or any(p not in ("ACCEPT", "-") for p in policies):
            kept += table
    return "\n".join(kept)


LINK = re.compile(r"^\d+: ([^:@]+)(?:@\S+)?: <([^>]*)> mtu (\d+) .*$")


def _link(line: re.Match) -> str:
    """A link's configuration: name, set up or not, MTU, bridge. Not its index (a re-created bridge
    gets a new one) nor its operational state (the kernel updates that up to a second later)."""
    master = re.search(r" master (\S+)", line.group(0))
    up = "up" if "UP" in line.group(2).split(",") else "down"
    return f"{line.group(1)} {up} mtu {line.group(3)} master {master.group(1) if master else '-'}"


def _normal(section: str, text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    if section == "routes":
        return sorted(line.replace(" linkdown", "") for line in lines)
    if section == "links":
        return sorted(LINK.sub(_link, line) for line in lines)
    if section == "tc":  # a qdisc with handle 0: is the kernel's default, no configuration
        return [re.sub(r"direct_packets_stat \d+ ", "", line) for line in lines if not re.match(r"qdisc \S+ 0: ", line)]
    return _rules(text).splitlines()


def snapshot(lab: Lab) -> dict[str, str]:
    """Per node, its normalised kernel state as text (one section per tool)."""

    def one(node) -> None:
        devices = [i.name for i in lab.plan.interfaces[node.name]]
        script = SNAPSHOT.replace("{tc}", "qdisc show\\n" + "".join(f"class show dev {d}\\n" for d in devices))
        out = lab.cmd(node.name, script)
        assert out.ok, out.stderr
        sections = re.split(r"^## (\w+)\n", out.stdout, flags=re.M)[1:]
        pairs = zip(sections[::2], sections[1::2], strict=True)
        found[node.name] = "\n".join(f"## {name}\n" + "\n".join(_normal(name, text)) for name, text in pairs)

    found: dict[str, str] = {}
    shell.parallel(lab.topology.nodes, one)
    return found


def differences(got: dict[str, str], want: dict[str, str]) -> str:
    lines = []
    for node in sorted(want):
        a, b = set(want[node].splitlines()), set(got[node].splitlines())
        lines += [f"{node}: missing  {x}" for x in sorted(a - b)] + [f"{node}: extra    {x}" for x in sorted(b - a)]
    return "\n".join(lines) or "(same lines, other order)"


def check(lab: Lab, want: dict[str, str], step: str) -> None:
    got = snapshot(lab)
    assert got == want, f"after {step}:\n{differences(got, want)}"


def name(fault: faults.Fault) -> str:
    return f"{type(fault).__name__}({', '.join(str(v) for k, v in fault.describe().items() if k != 'kind')})"


def test_every_pair_and_triple_of_faults_repaired_in_any_order_restores_the_plan(capsys):
    started = time.monotonic()
    netem = has_qdisc("netem")
    chosen = CHOSEN + ([faults.Throttle("fw1", "h3", 1)] if netem else [])
    with Lab(topology(netem)) as lab:
        catalogue = faults.candidates(lab.topology, lab.plan)
        assert [f for f in chosen if f not in catalogue] == [], "the chosen faults come from the catalogue"
        plan = snapshot(lab)
        assert "htb" in "".join(plan.values()) and "-A FORWARD" in plan["fw1"] and "via" in plan["r1"]

        alone: dict[faults.Fault, dict[str, str]] = {}
        for fault in chosen:
            fault.inject(lab)
            alone[fault] = snapshot(lab)
            assert alone[fault] != plan, f"{name(fault)} changed nothing that the snapshot sees"
            fault.repair(lab)
            check(lab, plan, f"{name(fault)} and its repair")

        both: dict[tuple, dict[str, str]] = {}
        for pair in combinations(chosen, 2):
            for order in permutations(pair):
                for fault in pair:
                    fault.inject(lab)
                if pair not in both:
                    both[pair] = snapshot(lab)
                order[0].repair(lab)
                check(lab, alone[order[1]], f"{' + '.join(map(name, pair))}, {name(order[0])} repaired")
                order[1].repair(lab)
                check(lab, plan, f"{' + '.join(map(name, pair))}, both repaired, {name(order[1])} last")
        pairs_done = time.monotonic()

        orders = list(permutations(range(3)))
        for k, triple in enumerate(combinations(chosen, 3)):
            # Two complementary orders per triple (k-th and its mirror), so all six occur across the
            # triples; MNSS_TEST_ALL_ORDERS=1 runs all six for every triple (about three times as long).
            picked = orders if ALL_ORDERS else [orders[k % 6], orders[5 - k % 6]]
            for order in picked:
                for fault in triple:
                    fault.inject(lab)
                first, second, last = (triple[i] for i in order)
                what = " + ".join(map(name, triple))
                first.repair(lab)
                check(lab, both[tuple(f for f in triple if f is not first)], f"{what}, {name(first)} repaired")
                second.repair(lab)  # from the pair's state: the pair phase checked what this gives
                last.repair(lab)
                check(lab, plan, f"{what}, all repaired, {name(last)} last")
    with capsys.disabled():
        print(
            f"\n{len(chosen)} faults: pairs {pairs_done - started:.0f} s, triples in "
            f"{'all 6' if ALL_ORDERS else 2} orders {time.monotonic() - pairs_done:.0f} s"
        )
