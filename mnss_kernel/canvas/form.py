"""The property panel's fields: which a node and a link have, of what type, how a typed text
becomes a model value, and which field an engine problem is about (to frame that box)."""

from __future__ import annotations

NODE_FORM = [("name", str), ("label", str), ("ip", str), ("gateway", str)]
LINK_FORM = [
    ("bw", float),
    ("delay", float),
    ("loss", float),
    ("mtu", int),
    ("vlan", int),
    ("vlans", list),
    ("ip_a", str),
    ("ip_b", str),
]
FORM_KINDS = dict(NODE_FORM + LINK_FORM)
PARSE_ERROR = {float: "not_number", int: "not_integer", list: "not_integer_list"}  # message ids


def parse(value: str, kind: type):
    """Text box value -> model value: blank means 'not set'. ValueError if it is not of `kind`."""
    value = value.strip()
    if not value:
        return None
    if kind is list:
        return [int(v) for v in value.replace(" ", "").replace("，", ",").split(",") if v]
    if kind is bool:
        return value.lower() in ("1", "true", "yes", "up", "是")
    return kind(value)


def problem_field(problem) -> str:
    """The field a problem is about, from where it is: "node 'h1': ip" -> "ip",
    "link h1-s1: routes[0].to" -> "routes"; "" when it names none."""
    where = getattr(problem, "where", "") or ""
    return where.split(": ", 1)[1].split(".")[0].split("[")[0] if ": " in where else ""
