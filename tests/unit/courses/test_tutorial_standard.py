"""The tutorial standard of docs/authoring.md: every bundled course meets it, and the rules catch
a tutorial that falls short (too little text in either language, no experiment, a missing figure)."""

from pathlib import Path

import pytest

from mnss_courses import bundle, scaffold, tutorial_standard
from mnss_kernel.cli import main

ROOT = Path(__file__).resolve().parents[3]
# every bundled course is held to the standard
COURSES = sorted(p.parent.name for p in (ROOT / "courses").glob("*/course.yaml"))


@pytest.mark.parametrize("course_id", COURSES)
def test_every_bundled_course_meets_the_tutorial_standard(course_id):
    course = bundle.load(ROOT / "courses" / course_id)
    assert len(course.meta["tutorials"]) >= tutorial_standard.MIN_TUTORIALS
    assert tutorial_standard.course_problems(course.root, course.meta) == []
    for t in course.meta["tutorials"]:
        text, code = tutorial_standard.parts(course.root / t["file"])
        assert tutorial_standard.han_count(text) >= 800, t["file"]
        assert any("TopologyCanvas(" in c for c in code), t["file"]


def test_han_characters_are_counted_outside_the_code(tmp_path):
    source = tmp_path / "t.md"
    source.write_text("# 病区网络 / Ward\n\n交换机。Switch.\n\n```python\nx = '不算这些字'\n```\n\n`代码`不算？\n")
    text, code = tutorial_standard.parts(source)
    assert tutorial_standard.han_count(text) == 4 + 3 + 2 + 2  # 病区网络 交换机 代码 不算 (inline code is text)
    assert code == ["x = '不算这些字'\n"]


def test_a_short_tutorial_without_an_experiment_is_named_with_what_it_lacks(tmp_path):
    source = tmp_path / "tutorials" / "t.md"
    source.parent.mkdir()
    (source.parent / "figures").mkdir()
    (source.parent / "figures" / "net.svg").write_text("<svg/>", "utf-8")
    text = "# 短 / Short\n\n![图](figures/none.png) ![网](figures/net.svg)\n\n```python\nprint(1)\n```\n"
    source.write_text(text, "utf-8")
    problems = tutorial_standard.tutorial_problems(source)
    assert any("3 Chinese characters of text, at least 800" in p for p in problems), problems
    assert any("English words, at least 300" in p for p in problems), problems
    assert any("has no canvas" in p for p in problems) and any("runs the network" in p for p in problems)
    assert any("measures it" in p for p in problems)
    assert any("figure figures/none.png does not exist" in p for p in problems)
    assert any("figure figures/net.svg must be PNG" in p for p in problems)
    assert all(p.startswith(str(source)) for p in problems)


def test_the_scaffold_lays_out_the_structure_and_only_the_text_is_left_to_write(tmp_path):
    scaffold.new_course(tmp_path / "ward-basics", "ward-basics", "networks")
    course = bundle.load(tmp_path / "ward-basics")
    assert [t["file"] for t in course.meta["tutorials"]] == ["tutorials/first-tutorial.md"]
    problems = tutorial_standard.course_problems(course.root, course.meta)
    assert len(problems) == 4, problems  # tutorials, references, Chinese and English text: not the experiment
    assert "1 tutorials, at least 5" in problems[0] and "0 references, at least 4" in problems[1]
    assert "Chinese characters" in problems[2] and "English" in problems[3]
    assert "# references:" in (tmp_path / "ward-basics" / "course.yaml").read_text("utf-8")


def test_validate_tutorials_fails_a_course_below_the_standard(tmp_path, capsys):
    assert main(["course", "new", "ward-basics", "--courses", str(tmp_path)]) == 0
    assert "mnss course validate --tutorials" in capsys.readouterr().out
    assert main(["course", "validate", "--metadata-only", "--tutorials", str(tmp_path / "ward-basics")]) == 1
    out = capsys.readouterr().out
    assert "FAIL ward-basics: tutorials" in out and "first-tutorial.md: " in out
    every = [str(ROOT / "courses" / c) for c in COURSES]
    assert main(["course", "validate", "--metadata-only", "--tutorials", *every]) == 0
    assert "OK   hospital-lan: tutorials" in capsys.readouterr().out
