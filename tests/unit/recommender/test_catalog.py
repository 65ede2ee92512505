"""Catalog from course folders: items, notebook text, prerequisite graph (course and assignment level)."""

import yaml

from mnss_courses.authoring import AssignmentNotebook
from mnss_recommender import Catalog
from mnss_recommender.text import notebook_text, tokenize


def course(root, cid, assignments, category="networks", level="beginner", prerequisites=(), tags=()):
    meta = {
        "id": cid,
        "title": {"zh": f"{cid} 课", "en": f"{cid} course"},
        "category": category,
        "level": level,
        "tags": list(tags),
        "assignments": [],
    }
    if prerequisites:
        meta["prerequisites"] = list(prerequisites)
    for aid, pre, text in assignments:
        a = {"id": aid, "title": {"zh": f"{aid} 作业", "en": f"{aid} work"}}
        if pre:
            a["prerequisites"] = list(pre)
        meta["assignments"].append(a)
        (
            AssignmentNotebook()
            .text(text)
            .answer(f"{aid}-answer", "x = 1\n### BEGIN SOLUTION\nsecret_solution = 42\n### END SOLUTION")
            .tests(f"{aid}-tests", 1, "assert x\n### BEGIN HIDDEN TESTS\nhidden_check()\n### END HIDDEN TESTS")
            .save(root / cid / "source" / aid / f"{aid}.ipynb")
        )
    (root / cid).mkdir(parents=True, exist_ok=True)
    (root / cid / "course.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")


def small_catalog(tmp_path):
    course(
        tmp_path,
        "lan",
        [("build", [], "交换机 与 子网 switch subnet"), ("vlan", ["build"], "VLAN 隔离 访客网络 guest isolation")],
        tags=["lan"],
    )
    course(
        tmp_path,
        "campus",
        [("routing", [], "园区 路由 routing ospf"), ("firewall", ["routing", "lan/vlan"], "EMR 防火墙 firewall acl")],
        level="intermediate",
        prerequisites=["lan"],
    )
    course(
        tmp_path, "scripts", [("intro", [], "python 脚本 script")], category="programming", prerequisites=["lan/build"]
    )
    return Catalog.load(tmp_path)


def test_items_titles_and_text(tmp_path):
    cat = small_catalog(tmp_path)
    assert cat.ids == ["campus/routing", "campus/firewall", "lan/build", "lan/vlan", "scripts/intro"]
    vlan = cat["lan/vlan"]
    assert (vlan.course, vlan.title("zh"), vlan.title("en"), vlan.category, vlan.position) == (
        "lan",
        "vlan 作业",
        "vlan work",
        "networks",
        1,
    )
    assert "guest isolation" in vlan.text and "lan course" in vlan.text
    assert "secret_solution" not in vlan.text and "hidden_check" not in vlan.text and "x = 1" in vlan.text
    assert cat.categories == ["networks", "programming"] and cat.problems == []


def test_prerequisites_course_and_assignment_level(tmp_path):
    cat = small_catalog(tmp_path)
    assert cat.prerequisites_of("lan/build") == []
    assert cat.prerequisites_of("lan/vlan") == ["lan/build"]
    # course-level "lan" means every assignment of lan
    assert cat.prerequisites_of("campus/routing") == ["lan/build", "lan/vlan"]
    assert cat.prerequisites_of("campus/firewall") == ["campus/routing", "lan/build", "lan/vlan"]
    # course-level "lan/build" means that assignment only
    assert cat.prerequisites_of("scripts/intro") == ["lan/build"]


def test_startable(tmp_path):
    cat = small_catalog(tmp_path)
    assert cat.is_startable("lan/build", [])
    assert not cat.is_startable("lan/vlan", [])
    assert cat.is_startable("lan/vlan", ["lan/build"])
    assert cat.missing_prerequisites("campus/firewall", ["lan/build", "lan/vlan"]) == ["campus/routing"]
    assert cat.is_startable("campus/firewall", ["lan/build", "lan/vlan", "campus/routing"])


def test_unknown_prerequisite_is_reported_and_ignored():
    from mnss_recommender.catalog import Item

    cat = Catalog((Item("a/x", "甲", "A", "data", prerequisites=frozenset({"gone/y"})),))
    assert cat.is_startable("a/x", []) and "gone/y" in cat.problems[0]


def test_lenient_load_leaves_out_broken_courses(tmp_path):
    small_catalog(tmp_path)
    course(tmp_path, "later", [("one", [], "text")], prerequisites=["missing-course"])
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "course.yaml").write_text("id: broken\n", "utf-8")
    cat = Catalog.load(tmp_path, strict=False)
    assert "later/one" in cat and "lan/vlan" in cat and cat.prerequisites_of("later/one") == []
    assert any("broken" in p for p in cat.problems) and any("missing-course" in p for p in cat.problems)


def test_notebook_text_and_tokens(tmp_path):
    path = AssignmentNotebook().text("# 标题\n用 VLAN 隔离").code("print('hi')").save(tmp_path / "n.ipynb")
    assert notebook_text(path) == "# 标题\n用 VLAN 隔离\nprint('hi')"
    assert tokenize("The VLAN isolation 用VLAN隔离访客 a") == ["vlan", "isolation", "vlan", "隔离", "离访", "访客"]
