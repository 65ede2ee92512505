"""Next up for one learner: only their courses, unless marked "先选课 / Enrol first"; every reason
true of them (fresh history, no "taken by 0 learners", no "most often start here" nobody started)."""

from mnss_recommender import Catalog, Event, Hybrid, Interactions, Item
from mnss_recommender.nextup import next_up


def item(iid, zh, en, category="networks", pre=(), position=0):
    return Item(iid, zh, en, category, text=en, prerequisites=frozenset(pre), position=position)


CATALOG = Catalog(
    (
        item("lan/build", "搭建局域网", "Build a LAN"),
        item("lan/vlan", "VLAN 隔离", "VLAN isolation", pre=["lan/build"], position=1),
        item("py/strings", "字符串", "Strings", "programming"),
        item("py/files", "文件", "Files", "programming", position=1),
        item("emr/rules", "防火墙规则", "Firewall rules"),
    ),
    course_titles={
        "lan": ("医院局域网基础", "Hospital LAN basics"),
        "py": ("Python 入门", "Python basics"),
        "emr": ("防火墙", "EMR firewall"),
    },
)


def events(*rows):
    return [Event(f"e{n}", who, iid, kind, float(n + 1), score) for n, (who, iid, kind, score) in enumerate(rows)]


def crowd():
    """Many learners did the Python course and the firewall; two did the LAN course."""
    rows = []
    for k in range(8):
        rows += [
            (f"p{k}", "py/strings", "graded", 1.0),
            (f"p{k}", "py/files", "graded", 1.0),
            (f"p{k}", "emr/rules", "opened", None),
        ]
    for k in range(2):
        rows += [(f"l{k}", "lan/build", "graded", 1.0), (f"l{k}", "lan/vlan", "opened", None)]
    return events(*rows)


def model():
    return Hybrid(CATALOG).fit(Interactions.from_events(crowd(), CATALOG))


def history(*rows):
    return Interactions.from_events(events(*rows), CATALOG).history("me")


def test_in_courses_mask():
    assert CATALOG.in_courses(["lan"]).tolist() == [True, True, False, False, False]
    assert CATALOG.in_courses([]).tolist() == [False] * 5


def test_only_narrows_the_choice():
    m = model()
    everything = [r.item for r in m.recommend("me", k=5, history=history())]
    assert any(not i.startswith("lan/") for i in everything), "the popular Python course wins unrestricted"
    lan = m.recommend("me", k=5, history=history(), only=CATALOG.in_courses(["lan"]))
    assert [r.item for r in lan] == ["lan/build", "lan/vlan"]
    assert lan[1].reason.en.startswith("Finish its prerequisite Build a LAN first: "), "lan/vlan needs lan/build"
    assert lan[1].reason.zh.startswith("先学完先修《搭建局域网》：")


def test_enrolled_courses_first_then_one_enrol_first_marked():
    m = model()
    recs = next_up(m, CATALOG, "me", history(), ["lan"], k=4)
    (other,) = [r.item for r in m.recommend("me", k=1, history=history(), only=~CATALOG.in_courses(["lan"]))]
    assert [(r["item"], r["enrolled"], r["enrol_first"]) for r in recs] == [
        ("lan/build", True, False),
        ("lan/vlan", True, False),
        (other, False, True),
    ], "the course's two items, then only one from elsewhere although k=4"
    assert other == "py/strings"
    assert recs[2]["reason_zh"].startswith("先选课《Python 入门》：")
    assert recs[2]["reason_en"].startswith("Enrol first in Python basics: ")
    assert all("先选课" not in r["reason_zh"] and "Enrol first" not in r["reason_en"] for r in recs[:2])


def test_a_full_list_from_enrolled_courses_has_no_enrol_first():
    recs = next_up(model(), CATALOG, "me", history(), ["lan", "py"], k=2)
    assert all(r["enrolled"] and not r["enrol_first"] for r in recs)
    assert {r["item"].split("/")[0] for r in recs} <= {"lan", "py"}


def test_reasons_name_what_this_learner_did():
    """Fresh history: the learner finished lan/build after the model was trained."""
    m = model()
    done = history(("me", "lan/build", "opened", None), ("me", "lan/build", "graded", 0.9))
    (rec,) = next_up(m, CATALOG, "me", done, ["lan"], k=1)
    assert rec["item"] == "lan/vlan"
    assert "搭建局域网" in rec["reason_zh"] and "Build a LAN" in rec["reason_en"], rec
    finished = history(("me", "lan/build", "submitted", None), ("me", "lan/vlan", "submitted", None))
    rest = next_up(m, CATALOG, "me", finished, ["lan"], k=3)
    assert rest and all(r["enrol_first"] for r in rest), "nothing left in the course: only enrol-first items"


def test_a_cold_start_reason_is_true_when_nobody_started_there():
    """Nobody started with emr/rules (they opened it third): no "new learners most often start here"."""
    m = model()
    assert m.first_counts[CATALOG.index["emr/rules"]] == 0
    (rec,) = next_up(m, CATALOG, "me", history(), ["emr"], k=1)
    assert rec["item"] == "emr/rules"
    assert rec["reason_en"] == "taken by 8 learners" and rec["reason_zh"] == "8 位学员学过"


def test_an_item_nobody_took_says_where_it_sits_in_its_course():
    m = Hybrid(CATALOG).fit(Interactions.from_events([], CATALOG))
    recs = next_up(m, CATALOG, "me", history(), ["py"], k=2)
    assert [(r["item"], r["reason_en"]) for r in recs] == [
        ("py/strings", "the first assignment of Python basics"),
        ("py/files", "assignment 2 of Python basics"),
    ]
    assert recs[1]["reason_zh"] == "《Python 入门》的第 2 个作业"
    assert all("0 " not in r["reason_en"] for r in recs)


def test_no_courses_means_one_item_marked_enrol_first():
    (rec,) = next_up(model(), CATALOG, "me", history(), [], k=5)
    assert rec["enrol_first"] and rec["reason_en"].startswith("Enrol first") and rec["item"] != "lan/vlan"
