"""References generated from the schemas: every key described, and the docs equal to the output."""

from pathlib import Path

import pytest

from mnss_foundation import schemadoc
from mnss_hub import cli, siteconfig
from mnss_kernel.topology import validate
from mnss_kernel.topology.reference import reference

ROOT = Path(__file__).resolve().parents[3]


def _keys(schema: dict, root: dict, prefix: str = ""):
    for key, prop in schema["properties"].items():
        prop = schemadoc._resolve(root, prop)
        yield f"{prefix}{key}", prop
        items = schemadoc._resolve(root, prop.get("items", {}))
        if "properties" in prop:
            yield from _keys(prop, root, f"{prefix}{key}.")
        elif "properties" in items:
            yield from _keys(items, root, f"{prefix}{key}[].")


@pytest.mark.parametrize("schema", [validate.schema(), siteconfig.schema()], ids=["topology", "site-config"])
def test_every_key_is_described_and_listed(schema):
    text = schemadoc.reference(schema)
    keys = list(_keys(schema, schema))
    assert len(keys) > 20
    undescribed = [key for key, prop in keys if not prop.get("description")]
    assert not undescribed, f"keys without a description: {undescribed}"
    for key, _ in keys:
        assert (f"`{key}`" in text) or (f"**{key}**" in text), key


def test_refs_required_lists_and_ranges():
    schema = {
        "required": ["nodes"],
        "properties": {
            "nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}, "description": "N"},
            "tags": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 9}},
            "bw": {"type": "number", "exclusiveMinimum": 0, "default": 5},
            "pat": {"type": "string", "pattern": "^(a|b)$"},
        },
        "$defs": {"node": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}},
    }
    rows = schemadoc.reference(schema).splitlines()
    assert "| **nodes** | required | list | N |" in rows
    assert "| `nodes[].name` | required | string |  |" in rows
    assert "| `tags` |  | list of integer 1..9 |  |" in rows
    assert "| `bw` | `5` | number >0.. |  |" in rows
    assert any(r"`^(a\|b)$`" in row for row in rows), "a | in a pattern would split the table cell"


def test_topology_reference_doc_is_the_generated_one():
    doc = (ROOT / "docs" / "topology-reference.md").read_text("utf-8")
    assert doc == reference(), "run `make config-docs`"
    assert "| `nurse_station` | host | 护士站 |" in doc


def test_readme_config_reference_is_the_generated_one(tmp_path, capsys):
    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text("utf-8")
    readme.write_text(text.replace("| `hub.port` |", "| `hub.stale` |"), "utf-8")
    assert cli.main(["config-docs", "--readme", str(readme)]) == 0
    assert readme.read_text("utf-8") == text, "README's config reference is not the generated one: `make config-docs`"


def test_config_docs_refuses_a_file_without_the_section(tmp_path, capsys):
    other = tmp_path / "other.md"
    other.write_text("# nothing here\n")
    assert cli.main(["config-docs", "--readme", str(other)]) == 2
    assert "config-reference" in capsys.readouterr().err
    assert other.read_text() == "# nothing here\n"
