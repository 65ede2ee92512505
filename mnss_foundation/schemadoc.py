"""A Markdown reference generated from a JSON schema, so documentation cannot drift from what the
checker accepts (the site config and the topology format use it), and the generated sections of a
Markdown file that such tables are written into (between `<!-- NAME:start -->` and `:end`)."""

from __future__ import annotations

import sys
from pathlib import Path

HEADER = ["| key | default | allowed | meaning |", "| --- | --- | --- | --- |"]


def reference(schema: dict) -> str:
    """One table row per key, nested keys dotted (`a.b`), list items as `a[].b`; `$ref`s into
    `$defs` are followed."""
    return "\n".join(HEADER + _rows(schema, schema, ""))


def _resolve(root: dict, node: dict) -> dict:
    ref = node.get("$ref", "")
    if not ref.startswith("#/$defs/"):
        return node
    return {**root["$defs"][ref.removeprefix("#/$defs/")], **{k: v for k, v in node.items() if k != "$ref"}}


def _rows(root: dict, schema: dict, prefix: str) -> list[str]:
    rows, required = [], set(schema.get("required", ()))
    for key, prop in schema["properties"].items():
        prop, full = _resolve(root, prop), f"{prefix}{key}"
        items = _resolve(root, prop.get("items", {}))
        default = "required" if key in required else _default(prop)
        meaning = prop.get("description", "")
        if prop.get("type") == "object" and "properties" in prop:
            rows.append(f"| **{full}** | {default if key in required else ''} | | {meaning} |")
            rows += _rows(root, prop, f"{full}.")
        elif prop.get("type") == "array" and "properties" in items:
            rows.append(f"| **{full}** | {default} | list | {meaning} |")
            rows += _rows(root, items, f"{full}[].")
        else:
            rows.append(f"| `{full}` | {default} | {allowed(prop, root)} | {meaning} |")
    return rows


def _default(prop: dict) -> str:
    return f"`{prop['default']!r}`" if "default" in prop else ""


def allowed(prop: dict, root: dict | None = None) -> str:
    """What a value may be: the enum, else the type with its range and format; lists by their items."""
    if "enum" in prop:
        return " / ".join(f"`{v}`" for v in prop["enum"])
    if prop.get("type") == "array" and "items" in prop:
        return f"list of {allowed(_resolve(root or {}, prop['items']), root)}"
    text = prop.get("type", "")
    low = f">{prop['exclusiveMinimum']}" if "exclusiveMinimum" in prop else prop.get("minimum", "")
    if low != "" or "maximum" in prop:
        text += f" {low}..{prop.get('maximum', '')}"
    if "format" in prop:
        text += f" ({prop['format']})"
    if "pattern" in prop:
        text += " matching `" + prop["pattern"].replace("|", "\\|") + "`"
    return text


def marks(section: str) -> tuple[str, str]:
    """The comments around a generated section of a Markdown file."""
    return f"<!-- {section}:start -->\n", f"<!-- {section}:end -->"


def generated_section(path: Path, section: str) -> str:
    """What the file's generated `section` holds now; a file without it is an error."""
    start, end = marks(section)
    text = path.read_text("utf-8")
    if start not in text or end not in text:
        raise ValueError(f"{path} has no {start.strip()} ... {end} section")
    return text.split(start, 1)[1].split(end, 1)[0]


def replace_section(path: Path, section: str, body: str) -> None:
    """Write `body` (ending in a newline) as the file's generated `section`, leaving the rest."""
    generated_section(path, section)  # the marks are there
    start, end = marks(section)
    head, rest = path.read_text("utf-8").split(start, 1)
    path.write_text(f"{head}{start}{body}{end}{rest.split(end, 1)[1]}", "utf-8")


def print_or_replace(readme: str | None, section: str, body: str, prog: str, what: str) -> int:
    """A CLI's generated-table command: print `body`, or with a README write it into `section`
    (the README's figures then never drift from what the code generates). Returns the exit code."""
    if not readme:
        print(body, end="")
        return 0
    try:
        replace_section(Path(readme), section, body)
    except (OSError, ValueError) as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    print(f"updated {what} in {readme}")
    return 0
