"""The "My courses / Next up" panel: the committed build matches its sources, its words exist in
both languages, and the server side's pure parts (item ids, local notebooks, messages)."""

import importlib.util
import json
import re

import pytest

from mnss_activity.panel import (
    MESSAGES,
    local_notebook,
    message,
    nbgrader_reason,
    refusal,
    released_ids,
    split_item,
    submittable,
    summary,
)
from mnss_foundation.i18n import CJK
from mnss_recommender.catalog import Catalog, Item
from mnss_recommender.service import learner_courses
from tests.support.hubproc import ROOT

PANEL = ROOT / "extensions" / "mnss_panel"


def _sources_hash():
    spec = importlib.util.spec_from_file_location("sources_hash", PANEL / "sources_hash.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_build_is_not_stale():
    """Changing src/, style/ or the npm pins without `make labextension` fails here."""
    module = _sources_hash()
    assert module.RECORD.read_text().strip() == module.sources_hash(), (
        "extensions/mnss_panel changed since the last build: run `make labextension` and commit labextension/"
    )


def test_sources_hash_sees_a_change(tmp_path):
    module = _sources_hash()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.ts").write_text("a")
    before = module.sources_hash(tmp_path)
    (tmp_path / "src" / "index.ts").write_text("b")
    assert module.sources_hash(tmp_path) != before


def test_build_is_a_complete_labextension():
    meta = json.loads((PANEL / "labextension" / "package.json").read_text())
    assert meta["name"] == "mnss-panel"
    assert (PANEL / "labextension" / meta["jupyterlab"]["_build"]["load"]).is_file()
    shared = (ROOT / "pyproject.toml").read_text()
    assert '"extensions/mnss_panel/labextension" = "share/jupyter/labextensions/mnss-panel"' in shared


def test_panel_words_exist_in_both_languages():
    source = (PANEL / "src" / "i18n.ts").read_text("utf-8")
    zh = source[source.index("zh: {") : source.index("en: {")]
    en = source[source.index("en: {") :]
    keys = lambda block: set(re.findall(r"^\s+(\w+):", block, re.M))  # noqa: E731
    assert keys(zh) == keys(en) and len(keys(zh)) >= 10
    assert "我的课程" in zh and "下一步" in zh and "My courses" in en and "Next up" in en
    for key, (zh_text, en_text) in MESSAGES.pairs().items():
        assert CJK.search(zh_text) and not CJK.search(en_text), key
        assert re.findall(r"{\w+}", zh_text) == re.findall(r"{\w+}", en_text), key


def test_messages_are_bilingual():
    assert message("refused", code=403) == {
        "zh": "推荐服务拒绝了请求（HTTP 403）。",
        "en": "The recommendation service refused the request (HTTP 403).",
    }


@pytest.mark.parametrize(
    "item, parts",
    [
        ("hospital-lan/lan-build", ("hospital-lan", "lan-build")),
        ("hospital-lan/../etc", None),
        ("../hospital-lan", None),
        ("a/b/c", None),
        ("Hospital/LAN", None),
        (None, None),
        (["hospital-lan", "lan-build"], None),
    ],
)
def test_split_item_accepts_only_course_ids(item, parts):
    assert split_item(item) == parts


def test_local_notebook_and_summary(tmp_path):
    folder = tmp_path / "hospital-lan" / "lan-build"
    folder.mkdir(parents=True)
    assert local_notebook(tmp_path, "hospital-lan/lan-build") is None
    (folder / "notes.ipynb").write_text("{}")
    (folder / "lan-build.ipynb").write_text("{}")
    assert local_notebook(tmp_path, "hospital-lan/lan-build") == "hospital-lan/lan-build/lan-build.ipynb"
    (tmp_path / "vlan-isolation").mkdir()  # nbgrader's default layout: ./<assignment>/
    (tmp_path / "vlan-isolation" / "vlan-isolation.ipynb").write_text("{}")
    assert local_notebook(tmp_path, "hospital-lan/vlan-isolation") == "vlan-isolation/vlan-isolation.ipynb"
    me = {
        "courses": [{"id": "hospital-lan", "done": 1, "total": 2}],
        "trained_at": 1.0,
        "recommendations": [
            {"item": "emr-firewall/emr-rules", "enrolled": False},
            {"item": "hospital-lan/not-yet", "enrolled": True},
            {"item": "hospital-lan/lan-build", "enrolled": True},
            {"item": "hospital-lan/released", "enrolled": True},
            {"item": "hospital-lan/vlan-isolation", "enrolled": True},
        ],
    }
    out = summary(me, tmp_path, {"hospital-lan/released", "emr-firewall/emr-rules"})
    assert [(r["item"], r["local_path"], r["released"]) for r in out["recommendations"]] == [
        ("hospital-lan/lan-build", "hospital-lan/lan-build/lan-build.ipynb", False),
        ("hospital-lan/released", None, True),
        ("hospital-lan/vlan-isolation", "vlan-isolation/vlan-isolation.ipynb", False),
        ("emr-firewall/emr-rules", None, True),
        ("hospital-lan/not-yet", None, False),
    ], "what one can open or fetch comes first, in the service's order"
    assert out["courses"] == me["courses"] and out["exchange_error"] is None
    unknown = summary(me, tmp_path, None, message("exchange_down"))
    assert not any(r["released"] for r in unknown["recommendations"]), "exchange unknown: nothing to fetch"
    assert "交换服务" in unknown["exchange_error"]["zh"]


def test_released_ids_from_the_exchange_listing():
    listing = {
        "user": "u",
        "submissions": [{"course_id": "c", "assignment_id": "s"}],
        "assignments": [{"course_id": "hospital-lan", "assignment_id": "lan-build", "notebooks": ["x"]}],
    }
    assert released_ids(listing) == {"hospital-lan/lan-build"}
    assert released_ids({}) == set()


def test_refusals_keep_the_exchanges_words_in_both_languages():
    detail = "you are not a member of course 'python-basics' (HTTP 403)"
    not_member = refusal(403, "python-basics", detail)
    assert not_member["zh"].startswith("获取作业失败：你不是课程 python-basics 的学员") and detail in not_member["zh"]
    assert "not a learner of python-basics" in not_member["en"] and detail in not_member["en"]
    other = refusal(404, "nope", "unknown course 'nope' (HTTP 404)")
    assert "unknown course 'nope'" in other["zh"] and "unknown course 'nope'" in other["en"]
    assert message("not_released", item="c/a")["en"].startswith("Fetching the assignment failed: c/a is not released")


def test_nbgrader_reason_is_the_exchanges_message_not_the_bare_failure():
    log = (
        "[FetchAssignmentApp | INFO] Source: x\n"
        "[FetchAssignmentApp | CRITICAL] exchange: assignment 'a' is not released in course 'c' (HTTP 404)\n"
        "[FetchAssignmentApp | ERROR] nbgrader fetch_assignment failed\n"
    )
    assert nbgrader_reason(log, 1) == "exchange: assignment 'a' is not released in course 'c' (HTTP 404)"
    assert (
        nbgrader_reason("[FetchAssignmentApp | ERROR] nbgrader fetch_assignment failed\n", 1)
        == "nbgrader fetch_assignment failed"
    )
    assert nbgrader_reason("Traceback ...\nOSError: disk full\n", 1) == "OSError: disk full"
    assert nbgrader_reason("", 3) == "exit code 3"


def test_learner_courses_from_learner_groups_with_progress():
    catalog = Catalog(
        (Item("c1/a", "甲", "A", "networks"), Item("c1/b", "乙", "B", "networks"), Item("c2/x", "丙", "X", "data")),
        course_titles={"c1": ("课一", "Course 1"), "c2": ("课二", "Course 2")},
    )
    courses = learner_courses(["c1-learners", "c2-instructors", "unknown-learners"], catalog, {"c1/b", "c2/x"})
    assert courses == [{"id": "c1", "title_zh": "课一", "title_en": "Course 1", "total": 2, "done": 1}]


def test_catalog_knows_course_titles():
    catalog = Catalog.load(ROOT / "courses", strict=False)
    assert catalog.course_titles["hospital-lan"] == ("医院局域网基础", "Hospital LAN basics")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("hospital-lan/lan-build/lan-build.ipynb", ("hospital-lan", "lan-build")),
        ("work/hospital-lan/lan-build/notes.ipynb", ("hospital-lan", "lan-build")),
        ("hospital-lan/tutorials/intro.ipynb", None),  # a tutorial copy is read, not handed in
        ("lan-build/lan-build.ipynb", None),
        ("hospital-lan/lan-build/lan-build.py", None),
        ("../Hospital/x/y.ipynb", None),
        (None, None),
        (42, None),
    ],
)
def test_only_notebooks_of_fetched_assignments_can_be_submitted(path, expected):
    assert submittable(path) == expected
