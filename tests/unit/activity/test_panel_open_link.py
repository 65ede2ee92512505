"""The portal's one-click tutorial link finds only a file in the course's tutorials/ folder."""

import base64
from pathlib import Path

import nbformat
import pytest

from mnss_activity.panel import copy_tutorial, tutorial_source

ROOT = Path(__file__).resolve().parents[3]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)  # the signature is enough: nothing decodes it here


@pytest.fixture
def catalog(tmp_path):
    (tmp_path / "hospital-lan" / "tutorials").mkdir(parents=True)
    (tmp_path / "hospital-lan" / "tutorials" / "lan-basics.md").write_text("# LAN\n")
    (tmp_path / "hospital-lan" / "course.yaml").write_text("id: hospital-lan\n")
    return tmp_path


def test_a_tutorial_of_the_catalog_is_found(catalog):
    assert tutorial_source(str(catalog), "hospital-lan/lan-basics.md") == (
        "hospital-lan",
        catalog / "hospital-lan" / "tutorials" / "lan-basics.md",
    )


@pytest.mark.parametrize(
    "item",
    [
        "hospital-lan/missing.md",
        "hospital-lan/../course.yaml",
        "hospital-lan/course.yaml",
        "../hospital-lan/lan-basics.md",
        "hospital-lan/tutorials/lan-basics.md",
        "Hospital-LAN/lan-basics.md",
        "hospital-lan/.hidden.md",
        "",
        None,
    ],
)
def test_anything_else_is_refused(catalog, item):
    assert tutorial_source(str(catalog), item) is None


def test_no_catalog_no_tutorial(catalog):
    assert tutorial_source("", "hospital-lan/lan-basics.md") is None


def test_a_markdown_tutorial_becomes_a_notebook_with_its_python_blocks_as_code(tmp_path):
    """Text stays Markdown, fenced Python blocks become code cells (not run), other fences stay text."""
    source = tmp_path / "lan-basics.md"
    source.write_text(
        "# LAN\n\nText before.\n\n```python\nfrom x import y\ny()\n```\n\nBetween.\n\n"
        "```sh\nmnss topo run ward.yaml\n```\n\n- a list item\n\n  ```python\n  z = 1\n  ```\n",
        "utf-8",
    )
    target = tmp_path / "home" / "lan-basics.ipynb"
    target.parent.mkdir()
    copy_tutorial(source, target)
    cells = nbformat.read(target, as_version=4).cells
    assert [(c.cell_type, c.source) for c in cells] == [
        ("markdown", "# LAN\n\nText before."),
        ("code", "from x import y\ny()"),
        ("markdown", "Between.\n\n```sh\nmnss topo run ward.yaml\n```\n\n- a list item"),
        ("code", "z = 1"),
    ]
    assert all(c.outputs == [] for c in cells if c.cell_type == "code")
    assert [p.name for p in target.parent.iterdir()] == ["lan-basics.ipynb"]


def test_every_bundled_tutorial_converts_and_keeps_its_text(tmp_path):
    for source in sorted((ROOT / "courses").glob("*/tutorials/*.md")):
        target = tmp_path / (source.stem + ".ipynb")
        copy_tutorial(source, target)
        cells = nbformat.read(target, as_version=4).cells
        assert cells and cells[0].cell_type == "markdown", source
        kept = "".join(c.source for c in cells).replace("\n", "").replace(" ", "")
        words = [w for w in source.read_text("utf-8").replace("`", " ").split() if len(w) > 3]
        # a figure's path becomes attachment:NAME (test_a_figure_beside_the_tutorial_travels_inside_the_notebook)
        assert all(w in kept for w in words if not w.startswith(("python", "py")) and "figures/" not in w), source


def test_a_figure_beside_the_tutorial_travels_inside_the_notebook(tmp_path):
    """Only the notebook is copied into the home, so a figure in the tutorial's folder becomes an
    attachment of the cell that shows it; a URL, a path out of the folder, a missing file or an SVG
    (JupyterLab draws no SVG attachment) is left as written."""
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "ward.png").write_bytes(PNG)
    (tmp_path / "figures" / "ward.svg").write_text("<svg/>", "utf-8")
    (tmp_path.parent / "secret.png").write_bytes(PNG)
    source = tmp_path / "t.md"
    source.write_text(
        "# T\n\n![病区 / ward](figures/ward.png)\n\n![x](https://example.org/a.png) ![y](../secret.png) "
        "![z](figures/none.png) ![s](figures/ward.svg)\n\n```python\nx = 1\n```\n",
        "utf-8",
    )
    target = tmp_path / "t.ipynb"
    copy_tutorial(source, target)
    text = nbformat.read(target, as_version=4).cells[0]
    assert "](attachment:ward.png)" in text.source
    assert "](https://example.org/a.png)" in text.source and "](../secret.png)" in text.source
    assert "](figures/none.png)" in text.source and "](figures/ward.svg)" in text.source
    assert list(text.attachments) == ["ward.png"]
    assert base64.b64decode(text.attachments["ward.png"]["image/png"]) == PNG
