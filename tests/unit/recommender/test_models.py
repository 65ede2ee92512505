"""Models: completion rules, prerequisites as a marked soft signal, cold start (learner and notebook), reasons."""

import numpy as np
import pytest

from mnss_recommender import (
    Catalog,
    ContentSimilarity,
    Event,
    Hybrid,
    HybridSettings,
    Interactions,
    Item,
    ItemKNN,
    LearnerProfile,
    Popularity,
)
from mnss_recommender.baselines import EASE
from mnss_recommender.evaluate import check_prerequisites_marked
from mnss_recommender.simulate import SimulationConfig, simulate
from mnss_recommender.synthcatalog import synthetic_catalog


def item(iid, zh, en, category="networks", pre=(), text=""):
    return Item(iid, zh, en, category, text=text or en, prerequisites=frozenset(pre))


CATALOG = Catalog(
    (
        item("lan/vlan", "VLAN 隔离", "VLAN isolation", text="vlan switch trunk guest isolation"),
        item("campus/routing", "园区路由", "Campus routing", pre=["lan/vlan"], text="ospf router campus routing"),
        item("campus/firewall", "EMR 防火墙", "EMR firewall", pre=["campus/routing"], text="firewall acl emr"),
        item("sys/linux", "Linux 入门", "Linux basics", "systems", text="linux shell server"),
        item("sys/backup", "备份", "Backups", "systems", pre=["sys/linux"], text="backup restore server"),
        item("data/sql", "SQL 入门", "SQL basics", "data", text="sql table query"),
    )
)


class Log:
    def __init__(self):
        self.events, self.t = [], 0.0

    def add(self, learner, iid, kind, score=None):
        self.t += 1.0
        self.events.append(Event(f"e{len(self.events)}", learner, iid, kind, self.t, score))
        return self

    def finish(self, learner, iid, score=0.9):
        return self.add(learner, iid, "opened").add(learner, iid, "submitted").add(learner, iid, "graded", score)

    def interactions(self, catalog=CATALOG):
        return Interactions.from_events(self.events, catalog)


def crowd(n=6):
    """n learners who did VLAN isolation and then campus routing; others did Linux then backups."""
    log = Log()
    for k in range(n):
        log.finish(f"net{k}", "lan/vlan").finish(f"net{k}", "campus/routing")
        log.finish(f"sys{k}", "sys/linux").finish(f"sys{k}", "sys/backup")
    log.finish("net0", "campus/firewall")
    log.finish("d0", "data/sql")
    return log


def ids(recs):
    return [r.item for r in recs]


def test_completion_rules():
    log = Log().finish("a", "lan/vlan", 0.9).finish("a", "sys/linux", 0.3)
    log.add("a", "data/sql", "submitted").add("a", "sys/backup", "opened").add("a", "gone/nb", "opened")
    h = log.interactions().history("a")
    done = {CATALOG.ids[i]: bool(c) for i, c in zip(h.items, h.completed, strict=True)}
    # passed; failed grade; submitted, not graded yet; only opened; (gone/nb is not in the catalog)
    assert done == {"lan/vlan": True, "sys/linux": False, "data/sql": True, "sys/backup": False}
    assert [CATALOG.ids[i] for i in h.items] == ["lan/vlan", "sys/linux", "data/sql", "sys/backup"]
    assert h.strength.tolist() == [3.0, 3.0, 3.0, 1.0]


def test_a_later_passing_grade_completes_a_failed_notebook():
    log = Log().finish("a", "lan/vlan", 0.2).finish("a", "lan/vlan", 0.8)
    assert log.interactions().history("a").completed.tolist() == [True]


def test_hybrid_never_recommends_finished_and_marks_what_is_blocked():
    log = crowd().finish("me", "lan/vlan").add("me", "sys/linux", "opened")
    model = Hybrid(CATALOG).fit(log.interactions())
    recs = model.recommend("me", k=10)
    by_item = {r.item: r for r in recs}
    assert "lan/vlan" not in by_item  # finished
    # needs campus/routing, which "me" has not done: offered, but saying so first
    assert by_item["campus/firewall"].reason.en.startswith("Finish its prerequisite Campus routing first: ")
    assert by_item["campus/firewall"].reason.zh.startswith("先学完先修《园区路由》：")
    for startable in ("campus/routing", "data/sql"):
        assert "prerequisite" not in by_item[startable].reason.en.split(":")[0], by_item[startable]
    assert by_item["sys/backup"].reason.en.startswith("Finish its prerequisite Linux basics first: ")
    assert check_prerequisites_marked(model, ["me"]) == []
    # new notebooks before the one started and not finished
    assert ids(recs)[0] == "campus/routing"
    assert ids(recs)[-1] == "sys/linux" and recs[-1].score < 0 <= recs[-2].score
    assert recs[-1].reason.en == "not finished yet; finish it to start Backups"


def test_a_blocked_item_scores_blocked_factor_times_its_blend():
    log = crowd().finish("me", "lan/vlan")
    history = log.interactions().history("me")
    soft = Hybrid(CATALOG).fit(log.interactions())
    plain = Hybrid(CATALOG, HybridSettings(blocked_factor=1.0)).fit(log.interactions())
    firewall = CATALOG.index["campus/firewall"]
    routing = CATALOG.index["campus/routing"]
    (s_soft, _, _), (s_plain, _, _) = soft.scores(history, None), plain.scores(history, None)
    assert s_plain[firewall] > 0
    assert s_soft[firewall] == pytest.approx(0.5 * s_plain[firewall])
    assert s_soft[routing] == pytest.approx(s_plain[routing])
    never = Hybrid(CATALOG, HybridSettings(blocked_factor=0.0)).fit(log.interactions())
    assert "campus/firewall" not in ids(never.recommend("me", k=3))


def test_a_failed_prerequisite_keeps_the_next_notebook_marked():
    log = crowd().finish("me", "lan/vlan", score=0.2)
    recs = Hybrid(CATALOG).fit(log.interactions()).recommend("me", k=10)
    for r in recs:
        if r.item == "campus/routing":
            assert r.reason.en.startswith("Finish its prerequisite VLAN isolation first: "), r
        if r.item == "campus/firewall":
            assert r.reason.en.startswith("Finish its prerequisite "), r
    # the failed one is offered again, last, as the way to what it unlocks
    assert ids(recs)[-1] == "lan/vlan"
    assert recs[-1].reason.zh == "你还没学完它，学完就能开始《园区路由》"


def test_prerequisites_marked_on_simulated_logs():
    cat = synthetic_catalog(60, seed=3)
    sim = simulate(cat, SimulationConfig(learners=150, seed=3, days=120))
    model = Hybrid(cat).fit(sim.log().interactions(cat))
    assert check_prerequisites_marked(model, model.interactions.learners) == []


def test_reason_took_next():
    log = crowd().finish("me", "lan/vlan")
    default = Hybrid(CATALOG).fit(log.interactions()).recommend("me", k=1)[0]
    assert default.item == "campus/routing"
    # "unlocked" weighs most here, but "took next" explains at least half as much and says more
    assert default.reason.en == "learners who finished VLAN isolation took Campus routing next"
    rec = Hybrid(CATALOG, HybridSettings(weights={"next": 1.0})).fit(log.interactions()).recommend("me", k=1)[0]
    assert rec.item == "campus/routing"
    assert rec.reason.zh == "学完《VLAN 隔离》的学员接着学了《园区路由》"
    assert rec.reason.en == "learners who finished VLAN isolation took Campus routing next"
    assert rec.to_dict()["reason"] == {"zh": rec.reason.zh, "en": rec.reason.en}


def test_reason_prerequisite_of_what_the_learner_peeked_at():
    log = crowd().finish("me", "lan/vlan").add("me", "campus/firewall", "opened")
    only_pull = HybridSettings(weights={"prerequisite": 1.0})
    rec = Hybrid(CATALOG, only_pull).fit(log.interactions()).recommend("me", k=1)[0]
    assert rec.item == "campus/routing"
    assert str(rec.reason) == "是《EMR 防火墙》的先修 / prerequisite of EMR firewall"


def test_reason_unlocked():
    log = crowd().finish("me", "lan/vlan")
    rec = Hybrid(CATALOG, HybridSettings(weights={"unlocked": 1.0})).fit(log.interactions()).recommend("me", k=1)[0]
    assert (rec.item, rec.reason.en) == ("campus/routing", "you finished its prerequisite VLAN isolation")


def test_cold_start_learner_gets_popular_starts_in_their_category():
    model = Hybrid(CATALOG).fit(crowd().interactions())
    recs = model.recommend("newcomer", k=3, profile=LearnerProfile("network"))
    assert recs[0].item == "lan/vlan"
    assert recs[0].reason.zh == "网络方向的新学员最常从这里开始"
    assert recs[0].reason.en == "where new learners in Networks most often start"
    assert recs[1].item != "lan/vlan" and recs[1].reason.en == "where new learners most often start"
    assert all(CATALOG.is_startable(r.item, []) or r.reason.en.startswith("Finish its prerequisite") for r in recs)
    assert model.recommend("newcomer", k=1, profile=LearnerProfile(categories=("data",)))[0].item == "data/sql"
    assert model.recommend("newcomer", k=1, profile=LearnerProfile(categories=("systems",)))[0].item == "sys/linux"
    assert model.recommend("newcomer", k=1, profile=LearnerProfile("applications"))[0].item == "data/sql"
    # no profile: most common start overall; anything not startable says what to finish first
    assert check_prerequisites_marked(model, ["newcomer"]) == []
    assert any(not CATALOG.is_startable(r.item, []) for r in model.recommend("newcomer", k=10)), "soft, not hidden"


def test_cold_start_notebook_by_content():
    catalog = Catalog(CATALOG.items + (item("lan/wifi", "访客无线", "Guest Wi-Fi", text="guest vlan isolation wifi"),))
    log = crowd()
    for k in range(6):
        log.finish(f"x{k}", "data/sql")  # so that popular items are elsewhere
    log.finish("me", "lan/vlan").finish("me", "campus/routing")
    interactions = Interactions.from_events(log.events, catalog)
    assert interactions.history("net0").items.tolist()  # nobody touched lan/wifi:
    assert not np.isin(catalog.index["lan/wifi"], interactions.items)
    content = ContentSimilarity(catalog).fit(interactions).recommend("me", k=1)[0]
    assert content.item == "lan/wifi" and content.reason.en == "similar in content to VLAN isolation, which you took"
    recs = Hybrid(catalog).fit(interactions).recommend("me", k=2)
    wifi = [r for r in recs if r.item == "lan/wifi"]
    assert wifi and wifi[0].reason.zh == "与你学过的《VLAN 隔离》内容相近"


def test_popularity_and_item_knn():
    log = crowd().finish("me", "sys/linux")
    inter = log.interactions()
    pop = Popularity(CATALOG).fit(inter)
    # 6 learners each (sys/linux, with 7, is done): ties go by catalog order
    assert ids(pop.recommend("me", 3)) == ["lan/vlan", "campus/routing", "sys/backup"]
    assert pop.recommend("me", 1)[0].reason.en == "taken by 6 learners"
    knn = ItemKNN(CATALOG).fit(inter)
    rec = knn.recommend("me", 1)[0]
    assert rec.item == "sys/backup" and rec.reason.en == "learners who took Linux basics also took this"
    # no history: popular ones
    assert ids(knn.recommend("nobody", 2)) == ids(pop.recommend("nobody", 2))


def test_fresh_history_can_be_passed_in():
    model = Hybrid(CATALOG).fit(crowd().interactions())
    fresh = Log().finish("later", "lan/vlan").interactions().history("later")
    assert model.recommend("later", 1, history=fresh)[0].item == "campus/routing"


def test_scores_are_deterministic_and_do_not_change_the_model():
    inter = crowd().finish("me", "lan/vlan").interactions()
    model = Hybrid(CATALOG).fit(inter)
    before = model.knn_sim.copy()
    a = model.recommend("me", 5)
    assert a == model.recommend("me", 5) and np.array_equal(before, model.knn_sim)


def test_fit_needs_the_same_catalog():
    other = Catalog(CATALOG.items)
    with pytest.raises(ValueError, match="another catalog"):
        Hybrid(other).fit(crowd().interactions())


def test_empty_log():
    model = Hybrid(CATALOG).fit(Interactions.from_events([], CATALOG))
    assert len(model.recommend("x", 3)) == 3


def test_the_hybrid_reduced_to_its_ease_part_ranks_as_ease_does():
    """What recommender_ablation.py relies on: with weight on EASE^R only and no prerequisites, the
    hybrid's own machinery (normalising, blending, the allowed mask) changes no learner's list."""
    catalog = Catalog(tuple(item(f"c/{i}", f"第{i}课", f"Lesson {i}", text=f"lesson{i % 5}") for i in range(30)))
    rng, log = np.random.default_rng(4), Log()
    for who in range(40):
        for i in rng.choice(30, rng.integers(2, 12), replace=False):
            log.finish(f"l{who}", f"c/{i}", score=float(rng.choice([0.2, 0.9])))
    interactions = log.interactions(catalog)
    hybrid = Hybrid(catalog, HybridSettings(weights={"ease": 1.0}, ease_l2=50.0)).fit(interactions)
    ease = EASE(catalog, l2=50.0).fit(interactions)
    for who in interactions.learners:
        assert hybrid.rank(hybrid.history(who), 10).tolist() == ease.rank(ease.history(who), 10).tolist(), who
