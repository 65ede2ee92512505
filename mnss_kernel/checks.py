"""`check(value, expected)`: an autograder test that compares plain data, with exact types.

In a hidden test block the trusted grader takes each `check(EXPR, LITERAL)` apart: only EXPR is
sent to the learner's kernel, whose result comes back as plain data (`encode`); LITERAL stays in
the grader, which compares the two (`same`). So the expected answers never enter the learner's
kernel, and nothing the learner's code does there (a hook that disables asserts, an object whose
`__eq__` is always True, a patched helper) can make a wrong value pass. Run anywhere else (the
instructor's lab, stock nbgrader, a visible test) `check` compares in the kernel itself.

Plain data: None, bool, int, float, str, and lists, tuples and str-keyed dicts of them; exact
types only (a subclass of int is not an int here), floats equal within 1e-9 relative.
"""

from __future__ import annotations

import math

PLAIN = (type(None), bool, int, float, str, list, tuple, dict)


class NotPlainData(TypeError):
    """A value that is not plain data: it cannot be compared outside the learner's kernel."""


def encode(value, depth: int = 0):
    """`value` as JSON-ready data that keeps its exact types: [type name, content]."""
    kind = type(value)
    if depth > 50:
        raise NotPlainData("the value is nested too deeply")
    if kind not in PLAIN:
        raise NotPlainData(f"a {kind.__module__}.{kind.__qualname__} is not plain data")
    if kind in (list, tuple):
        return [kind.__name__, [encode(v, depth + 1) for v in value]]
    if kind is dict:
        if any(type(k) is not str for k in value):
            raise NotPlainData("dict keys must be str")
        return ["dict", [[k, encode(v, depth + 1)] for k, v in value.items()]]
    if kind is float and not math.isfinite(value):
        return ["float", repr(value)]
    return [kind.__name__, value]


def decode(data):
    """The value `encode` described, rebuilt from plain JSON; ValueError on anything else."""
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], str)):
        raise ValueError("not an encoded value")
    name, content = data
    if name in ("list", "tuple"):
        items = [decode(v) for v in content]
        return items if name == "list" else tuple(items)
    if name == "dict":
        return {str(k): decode(v) for k, v in content}
    if name == "float":
        return float(content)
    kinds = {"NoneType": type(None), "bool": bool, "int": int, "str": str}
    if name not in kinds or type(content) is not kinds[name]:
        raise ValueError(f"not an encoded {name}")
    return content


def same(value, expected) -> bool:
    """Equal as plain data: same exact types all the way down, floats within 1e-9 relative."""
    if type(value) is not type(expected):
        return False
    if type(value) is float:
        both_nan = math.isnan(value) and math.isnan(expected)
        return value == expected or math.isclose(value, expected, rel_tol=1e-9) or both_nan
    if type(value) in (list, tuple):
        return len(value) == len(expected) and all(same(a, b) for a, b in zip(value, expected, strict=True))
    if type(value) is dict:
        return value.keys() == expected.keys() and all(same(value[k], expected[k]) for k in value)
    return value == expected


def check(value, expected, message: str = "") -> None:
    """Fail (AssertionError) unless `value` is the plain data `expected`, exact types included."""
    try:
        encode(value)
    except NotPlainData as err:
        raise AssertionError(message or f"the answer must be plain data: {err}") from None
    if not same(value, expected):
        raise AssertionError(message or f"expected {expected!r}, got {value!r}")
