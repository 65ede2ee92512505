"""The managed lists: the built-in default is valid, a bad file is refused naming each entry."""

import pytest

from mnss_hub.people import DirectoryError, directory


def test_default_directory_has_the_usual_titles():
    d = directory.load()
    zh = {c.zh for c in d.titles.values()}
    assert {"主任医师", "副主任医师", "主治医师", "住院医师", "工程师", "高级工程师"} <= zh
    assert d.titles["attending_physician"].label("en") == "Attending physician"
    assert d.has_department("示例医院", "信息中心") and not d.has_department("示例医院", "不存在")


def test_options_for_a_form_in_each_language():
    options = directory.load().as_options("en")
    assert options["institutions"][0]["label"] == "Example Hospital"
    assert {"value": "engineer", "label": "Engineer"} in options["titles"]
    assert directory.load().as_options("zh-CN")["institutions"][0]["label"] == "示例医院"


def test_bad_file_names_each_problem(tmp_path):
    twice = "institutions:\n  - {name: A, departments: [{name: X}, {name: X}]}\n  - {name: A, departments: []}\n"

    def refusal(rest: str) -> str:
        path = tmp_path / "dir.yaml"
        path.write_text(twice + rest, encoding="utf-8")
        with pytest.raises(DirectoryError) as err:
            directory.load(path)
        return str(err.value)

    schema = refusal("positions: [{id: Staff, zh-CN: 职员, en: Staff}]\ntitles: []\n")
    assert "positions[0].id: 'Staff' does not match" in schema
    assert "titles: [] should be non-empty" in schema
    names = refusal("positions: [{id: staff, zh-CN: 职员, en: Staff}]\ntitles: [{id: t, zh-CN: 工, en: E}]\n")
    assert "institutions[0].departments[1].name: 'X' appears twice" in names
    assert "institutions[1].name: 'A' appears twice" in names


def test_missing_file(tmp_path):
    with pytest.raises(DirectoryError, match="nope.yaml: cannot be read"):
        directory.load(tmp_path / "nope.yaml")
