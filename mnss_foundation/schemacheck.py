"""Check data against a JSON schema and say what is wrong the way a person would.

Shared by every file format of the project (site config, topologies, course metadata): each
problem names the key, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Callable
from typing import Any

import jsonschema

from .problem import Problem

PathNamer = Callable[[list], str]
# Only the formats our schemas use: the full checker loads parsers for formats we never need.
FORMATS = jsonschema.FormatChecker(formats=["ipv4"])


@FORMATS.checks("ipv4-network", raises=ValueError)
def _ipv4_network(value) -> bool:
    return not isinstance(value, str) or bool(ipaddress.IPv4Network(value))


def type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "empty",
    }.get(type(value), type(value).__name__)


def dotted(path: list) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def problems(schema: dict, data: Any, name_path: PathNamer = dotted) -> list[str]:
    """Every schema violation in `data`, one line each, ordered by where it is."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [describe(err, name_path) for err in errors]


def describe(err: jsonschema.ValidationError, name_path: PathNamer = dotted) -> str:
    path = list(err.absolute_path)
    key, value = name_path(path), err.instance
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        parts = []
        for name in sorted(set(value) - set(allowed)):
            hint = difflib.get_close_matches(name, allowed, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            parts.append(
                f"{name_path(path + [name])}: unknown key{suggestion}; allowed keys here: {', '.join(allowed)}"
            )
        return "; ".join(parts)
    if err.validator == "required":
        return f"{key}: missing required key {err.message.split()[0]}"
    if err.validator == "enum":
        allowed = ", ".join(map(str, err.validator_value))
        text = f"{key}: {value!r} is not allowed; allowed values: {allowed}"
        return Problem(text, "enum", key, value=value, allowed=allowed)
    if err.validator == "type":
        return f"{key}: {value!r} is {type_name(value)}, expected {err.validator_value}"
    if err.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[err.validator]
        text = f"{key}: {value!r} is out of range; must be {bound} {err.validator_value}"
        return Problem(text, "out_of_range", key, value=value, bound=bound, limit=err.validator_value)
    if err.validator == "pattern":
        desc = err.schema.get("description", "")
        return f"{key}: {value!r} has the wrong form (pattern {err.validator_value}). {desc}".strip()
    if err.validator == "minItems":
        return f"{key}: needs at least {err.validator_value} item(s)"
    if err.validator == "maxItems":
        return f"{key}: has {len(value)} items; at most {err.validator_value} are allowed"
    if err.validator == "uniqueItems":
        return f"{key}: {value!r} lists an item more than once"
    if err.validator == "minLength":
        return f"{key}: must not be empty"
    if err.validator == "format":
        what = "network (address/prefix, e.g. 172.29.0.0/16)" if err.validator_value == "ipv4-network" else "address"
        return f"{key}: {value!r} is not a valid {err.validator_value.split('-')[0]} {what}"
    return f"{key}: {value!r}: {err.message}"
