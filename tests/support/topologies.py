"""Small topologies written briefly in tests: nodes as "name:kind", plain links as "a-b"."""


def nodes(*specs: str) -> list[dict]:
    return [{"name": n, "kind": k} for n, k in (s.split(":") for s in specs)]


def links(*specs: str) -> list[dict]:
    return [{"a": a, "b": b} for a, b in (s.split("-") for s in specs)]
