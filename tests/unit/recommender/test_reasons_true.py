"""Next up on the real course catalog for simulated learners, each enrolled in one course: at most
one item outside that course, marked "先选课 / Enrol first"; and every reason checked, claim by
claim, against that learner's own events (what they touched, finished, or left unfinished) and,
for claims about other learners, against the events the model was trained on."""

import re
from pathlib import Path

import numpy as np
import pytest

from mnss_recommender import Catalog, Hybrid, HybridSettings, Interactions
from mnss_recommender.evaluate import temporal_split
from mnss_recommender.nextup import next_up
from mnss_recommender.profiles import category_title
from mnss_recommender.simulate import SimulationConfig, simulate

ROOT = Path(__file__).resolve().parents[3]


class Facts:
    """What the events say: one learner's (touched, completed) and the training crowd's."""

    def __init__(self, catalog: Catalog, train: Interactions, own):
        self.catalog = catalog
        self.by_title = {it.title_en: n for n, it in enumerate(catalog.items)}
        self.touched = set(own.items.tolist())
        self.completed = set(own.completed_items().tolist())
        self.takers = np.bincount(train.items, minlength=len(catalog))
        self.train = train
        rows = train.learner_rows()
        self.pairs = set(zip(rows.tolist(), train.items.tolist(), strict=True))
        self.sequences = [
            train.items[lo:hi].tolist() for lo, hi in zip(train.indptr[:-1], train.indptr[1:], strict=True)
        ]

    def item(self, title: str) -> int:
        assert title in self.by_title, f"the reason names {title!r}, which is no item's title"
        return self.by_title[title]

    def started_within(self, i: int, days: int) -> int:
        """Learners whose first event on item i is in the last `days` days of the training events."""
        since = self.train.first_seen.max() - days * 86400.0
        return int(((self.train.items == i) & (self.train.first_seen >= since)).sum())

    def prerequisites(self, i: int) -> set[int]:
        return {self.catalog.index[p] for p in self.catalog.items[i].prerequisites if p in self.catalog.index}


def check_reason(facts: Facts, index: int, en: str, zh: str, enrolled: set[str]) -> None:
    """Raises AssertionError when a claim of the reason is not backed by the events."""
    cat = facts.catalog
    it = cat.items[index]
    if en.startswith("Enrol first in "):
        zh_course, en_course = cat.course_title(it.course)
        assert en.startswith(f"Enrol first in {en_course}: ") and it.course not in enrolled, en
        assert zh.startswith(f"先选课《{zh_course}》："), zh
        rest = en.removeprefix(f"Enrol first in {en_course}: ")
        return check_reason(facts, index, rest, zh.removeprefix(f"先选课《{zh_course}》："), enrolled)
    if en.startswith("Finish its prerequisite "):
        missing = [p for p in facts.prerequisites(index) if p not in facts.completed]
        said = [p for p in missing if en.startswith(f"Finish its prerequisite {cat.items[p].title_en} first: ")]
        assert said, f"{en}: names no prerequisite the learner is missing"
        prefix = f"先学完先修《{cat.items[said[0]].title_zh}》："
        assert zh.startswith(prefix), zh
        rest = en.removeprefix(f"Finish its prerequisite {cat.items[said[0]].title_en} first: ")
        return check_reason(facts, index, rest, zh.removeprefix(prefix), enrolled)
    assert index not in facts.completed, f"{it.id} is finished already"
    named = []
    if m := re.fullmatch(r"learners who took (.+) also took this", en):
        source = facts.item(m[1])
        assert source in facts.touched, f"{en}: the learner never took it"
        assert any((r, source) in facts.pairs and (r, index) in facts.pairs for r, _ in facts.pairs), en
        named.append(source)
    elif m := re.fullmatch(r"learners who finished (.+) took (.+) next", en):
        source = facts.item(m[1])
        assert source in facts.touched and facts.item(m[2]) == index, en
        assert any(
            source in seq and index in seq and seq.index(source) < seq.index(index) for seq in facts.sequences
        ), f"{en}: nobody in the training events did"
        named.append(source)
    elif m := re.fullmatch(r"similar in content to (.+), which you took", en):
        named.append(facts.item(m[1]))
        assert named[0] in facts.touched, f"{en}: the learner never took it"
    elif m := re.fullmatch(r"you finished its prerequisite (.+)", en):
        named.append(facts.item(m[1]))
        assert named[0] in facts.completed and named[0] in facts.prerequisites(index), en
    elif m := re.fullmatch(r"prerequisite of (.+)", en):
        named.append(facts.item(m[1]))
        assert index in facts.prerequisites(named[0]), en
    elif m := re.fullmatch(r"not finished yet; finish it to start (.+)", en):
        named.append(facts.item(m[1]))
        assert index in facts.touched and index not in facts.completed, f"{en}: not started, or finished"
        assert index in facts.prerequisites(named[0]), en
    elif en == "you started it and have not finished it":
        assert index in facts.touched and index not in facts.completed, en
    elif m := re.fullmatch(r"taken by (\d+) learners", en):
        assert int(m[1]) == facts.takers[index] > 0, f"{en}: {facts.takers[index]} in the training events"
    elif m := re.fullmatch(r"started by (\d+) learners in the last (\d+) days", en):
        assert int(m[1]) == facts.started_within(index, int(m[2])) > 0, f"{en}: not in the training events"
        assert zh == f"最近 {m[2]} 天有 {m[1]} 位学员开始学它", zh
    elif m := re.fullmatch(r"popular with learners in (.+)", en):
        assert m[1] == category_title(it.category)[1] and facts.takers[index] > 0, en
    elif m := re.fullmatch(r"where new learners (in .+ )?most often start", en):
        assert not facts.touched, f"{en}: said to a learner with a history"
    else:
        assert re.fullmatch(r"the first assignment of .+|assignment \d+ of .+", en), f"unknown reason: {en}"
    for source in named:
        assert cat.items[source].title_zh in zh, f"{zh} does not name {cat.items[source].title_zh}"


@pytest.fixture(scope="module")
def world():
    catalog = Catalog.load(ROOT / "courses", strict=False)
    sim = simulate(catalog, SimulationConfig(learners=400, seed=5))
    split = temporal_split(sim.log())
    train = split.train.interactions(catalog)
    everything = sim.log().interactions(catalog)  # fresh histories: also events after training
    return catalog, Hybrid(catalog).fit(train), train, everything


def test_one_course_at_most_one_outside_and_every_reason_backed_by_the_learners_events(world):
    catalog, model, train, everything = world
    rng = np.random.default_rng(0)
    learners = rng.choice(everything.learners, 120, replace=False).tolist() + ["newcomer-1", "newcomer-2"]
    courses = sorted(catalog.course_titles)
    seen_kinds, outside_seen = set(), 0
    for n, learner in enumerate(learners):
        own = everything.history(learner)
        course = catalog.items[int(own.items[-1])].course if len(own) else courses[n % len(courses)]
        recs = next_up(model, catalog, learner, own, [course], k=5)
        finished_all = len(set(own.completed_items().tolist())) == len(catalog)  # nothing is left to suggest
        assert recs or finished_all, learner
        outside = [r for r in recs if not r["item"].startswith(course + "/")]
        assert len(outside) <= 1, f"{learner} in {course}: {[r['item'] for r in outside]}"
        for r in recs:
            assert r["enrol_first"] == (r in outside) and r["enrolled"] == (r not in outside), r
        if outside:
            outside_seen += 1
            assert recs[-1] is outside[0], "the one outside item comes after the course's items"
        facts = Facts(catalog, train, own)
        for r in recs:
            check_reason(facts, catalog.index[r["item"]], r["reason_en"], r["reason_zh"], {course})
            seen_kinds.add(re.sub(r"(Enrol first in|Finish its prerequisite) .+?: ", "", r["reason_en"]).split(" ")[0])
    assert outside_seen, "some learner's course had too few items left: the outside slot was tested"
    assert len(seen_kinds) >= 4, f"only a few kinds of reason were checked: {seen_kinds}"


def test_reasons_of_what_was_taken_lately_are_backed_too(world):
    """The same checks with "taken lately" in the blend and in new learners' lists (as tuning may set)."""
    catalog, _, train, everything = world
    settings = HybridSettings(trend_half_life=7.0, cold_trend=4.0, cold_half_life=3.0)
    settings.weights = {**settings.weights, "trending": 8.0}
    model = Hybrid(catalog, settings).fit(train)
    courses = sorted(catalog.course_titles)
    said = 0
    for n, learner in enumerate(everything.learners[:60] + ["newcomer-1", "newcomer-2", "newcomer-3"]):
        own = everything.history(learner)
        course = catalog.items[int(own.items[-1])].course if len(own) else courses[n % len(courses)]
        facts = Facts(catalog, train, own)
        for r in next_up(model, catalog, learner, own, [course], k=5):
            check_reason(facts, catalog.index[r["item"]], r["reason_en"], r["reason_zh"], {course})
            said += " learners in the last " in r["reason_en"]
    assert said, "no reason said what was taken lately: the check was not exercised"


def test_the_checker_catches_a_false_reason(world):
    catalog, model, train, everything = world
    learner = everything.learners[0]
    own = everything.history(learner)
    facts = Facts(catalog, train, own)
    never = next(i for i in range(len(catalog)) if i not in facts.touched)
    title = catalog.items[never]
    other = next(i for i in range(len(catalog)) if i != never)
    with pytest.raises(AssertionError, match="never took"):
        check_reason(
            facts,
            other,
            f"similar in content to {title.title_en}, which you took",
            f"与你学过的《{title.title_zh}》",
            set(),
        )
    with pytest.raises(AssertionError):
        check_reason(facts, other, f"taken by {facts.takers[other] + 1} learners", "", set())
    lately = facts.started_within(other, 30)
    with pytest.raises(AssertionError, match="not in the training events"):
        check_reason(facts, other, f"started by {lately + 1} learners in the last 30 days", "", set())
    course = catalog.items[other].course
    with pytest.raises(AssertionError):
        check_reason(
            facts, other, f"Enrol first in {catalog.course_title(course)[1]}: taken by 1 learners", "", {course}
        )
