"""The portal's one-click tutorial link finds only a file in the course's tutorials/ folder."""

import pytest

from mnss_activity.panel import tutorial_source


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
