"""The portal's catalog view and item states, from course metadata and a learner's progress."""

import pytest

from mnss_courses import bundle
from mnss_hub.portal import catalog as view
from mnss_hub.portal.progress import feedback_score
from tests.support.hubproc import ROOT


def meta(cid, category="networks", level="beginner", **extra):
    return {
        "id": cid,
        "title": {"zh": f"{cid}-中", "en": f"{cid}-en"},
        "category": category,
        "level": level,
        "assignments": [{"id": "a1", "title": {"zh": "作业一", "en": "One"}}],
        **extra,
    }


def test_all_five_categories_in_order_even_when_empty():
    sections = view.catalog_view({"x": meta("x", "data")}, offered=["x"], enrolled=[])
    assert [s.category for s in sections] == ["systems", "networks", "programming", "data", "ai"]
    assert [len(s.courses) for s in sections] == [0, 0, 0, 1, 0]
    assert sections[4].name == ("人工智能", "AI")


def test_beginner_courses_first_then_by_id():
    catalog = {c: meta(c, level=lv) for c, lv in [("b", "advanced"), ("c", "beginner"), ("a", "intermediate")]}
    (networks,) = [s for s in view.catalog_view(catalog, [], []) if s.category == "networks"]
    assert [c.id for c in networks.courses] == ["c", "a", "b"]


def test_card_has_level_hours_and_prerequisite_titles():
    catalog = {"base": meta("base"), "next": meta("next", level="intermediate", minutes=100, prerequisites=["base/a1"])}
    card = view.card(catalog["next"], catalog, offered=True, enrolled=False)
    assert card.level_name == ("中级", "Intermediate")
    assert card.hours == 1.5  # 100 minutes to the half hour
    assert card.prerequisites == (view.Prerequisite("base", ("base-中", "base-en")),)


def test_card_shows_the_credit_hours_the_course_awards_over_its_minutes():
    card = view.card(meta("c", minutes=300, credit_hours=2), {}, offered=True, enrolled=False)
    assert card.hours == 2  # the learning record will count 2, not the 5 its minutes make


@pytest.mark.parametrize(("minutes", "hours"), [(None, None), (5, 0.5), (45, 1.0), (60, 1.0), (180, 3.0), (200, 3.5)])
def test_hours_to_the_half_hour(minutes, hours):
    assert view.hours(minutes) == hours


@pytest.mark.parametrize(
    ("policy", "offered", "enrolled", "requested", "enrol", "ask"),
    [
        ("open", True, False, False, True, False),
        ("approval", True, False, False, False, True),
        ("approval", True, False, True, False, False),  # already asked
        ("invitation", True, False, False, False, False),  # no button
        ("open", False, False, False, False, False),  # not served here
        ("open", True, True, False, False, False),  # already in
    ],
)
def test_enrolment_follows_the_course_policy(policy, offered, enrolled, requested, enrol, ask):
    card = view.card(meta("x", enrolment=policy), {}, offered, enrolled, requested)
    assert (card.can_enrol, card.can_request) == (enrol, ask)


def test_enrolment_defaults_to_open():
    assert view.card(meta("x"), {}, True, False).enrolment == "open"


def test_item_states_take_the_furthest_step():
    course = meta("x", tutorials=[{"id": "t", "title": {"zh": "教程", "en": "T"}, "file": "tutorials/t.md"}])
    course["assignments"] = [{"id": a, "title": {"zh": a, "en": a}} for a in ("a", "b", "c", "d", "e")]
    progress = view.Progress(
        released=frozenset("abcd"),
        fetched=frozenset("bcd"),
        submitted=frozenset("cd"),
        graded={"d": 0.75},
    )
    items = view.course_items(course, progress)
    assert [(i.kind, i.id) for i in items][0] == ("tutorial", "t")
    states = {i.id: (i.state, i.percent, i.released) for i in items if i.kind == "assignment"}
    assert states == {
        "a": (view.NOT_STARTED, None, True),
        "b": (view.IN_PROGRESS, None, True),
        "c": (view.SUBMITTED, None, True),
        "d": (view.GRADED, 75, True),
        "e": (view.NOT_STARTED, None, False),
    }
    assert items[-2].state_name == ("已评分", "Graded")


def test_a_tutorial_is_opened_or_not():
    tutorials = [{"id": t, "title": {"zh": t, "en": t}, "file": f"tutorials/{t}.md"} for t in ("t1", "t2")]
    course = {**meta("x", tutorials=tutorials), "assignments": []}
    items = view.course_items(course, view.Progress(), opened_tutorials=["t2"])
    assert [(i.id, i.state_name) for i in items] == [("t1", ("未打开", "Not opened")), ("t2", ("已打开", "Opened"))]


def test_feedback_score_sums_the_notebooks():
    pages = [b"<h4>a (Score: 3.0 / 4.0)</h4>", b"<h4>b (Score: 1 / 4)</h4>", b"no score here"]
    assert feedback_score(pages) == 0.5
    assert feedback_score([b"nothing"]) is None


def test_the_bundled_catalog_fills_all_five_categories():
    catalog = {cid: c.meta for cid, c in bundle.load_catalog(ROOT / "courses").items()}
    sections = view.catalog_view(catalog, catalog, [])
    assert all(s.courses for s in sections), [s.category for s in sections if not s.courses]
    assert sum(len(s.courses) for s in sections) == len(catalog)
