"""Small topologies written briefly in tests: nodes as "name:kind", plain links as "a-b"."""


def nodes(*specs: str) -> list[dict]:
    return [{"name": n, "kind": k} for n, k in (s.split(":") for s in specs)]


def links(*specs: str) -> list[dict]:
    return [{"a": a, "b": b} for a, b in (s.split("-") for s in specs)]


# A learner's first lab as kernel code: two hosts on a switch, pinged both ways; it prints the worst
# loss and whether the lab was built rootless ("LOSS 0.0 ROOTLESS True").
FIRST_LAB = """
from mnss_kernel.runtime.lab import Lab
from mnss_kernel import measure
from mnss_kernel.topology import Topology
topo = Topology.from_dict({"name": "three", "nodes": [{"name": "h1", "kind": "host"}, {"name": "s1", "kind": "switch"},
    {"name": "h2", "kind": "host"}], "links": [{"a": "h1", "b": "s1"}, {"a": "s1", "b": "h2"}]})
with Lab(topo) as lab:
    print("LOSS", measure.ping_matrix(lab).loss_pct.max(), "ROOTLESS", lab.rootless)
"""
