"""Simulator determinism and plausibility; evaluation protocol; CLI; MovieLens loader on a tiny fake."""

import zipfile

import numpy as np
import pytest

from mnss_recommender import EventStore, Interactions, movielens
from mnss_recommender.cli import main
from mnss_recommender.evaluate import (
    ModelResult,
    evaluate,
    format_table,
    per_learner_split,
    relevant_items,
    temporal_split,
    tune_hybrid,
)
from mnss_recommender.events import KINDS
from mnss_recommender.interactions import EventLog
from mnss_recommender.simulate import SimulationConfig, simulate
from mnss_recommender.synthcatalog import synthetic_catalog

CAT = synthetic_catalog(40, seed=5)


def test_same_seed_same_log():
    a = simulate(CAT, SimulationConfig(learners=60, seed=11))
    b = simulate(CAT, SimulationConfig(learners=60, seed=11))
    assert len(a) == len(b) > 0
    assert a.learner == b.learner and np.array_equal(a.item, b.item) and np.array_equal(a.kind, b.kind)
    assert np.array_equal(a.timestamp, b.timestamp) and np.array_equal(a.score, b.score, equal_nan=True)
    assert a.events()[:50] == b.events()[:50]
    c = simulate(CAT, SimulationConfig(learners=60, seed=12))
    assert len(c) != len(a) or not np.array_equal(c.item, a.item)


def test_simulated_log_is_plausible():
    sim = simulate(CAT, SimulationConfig(learners=200, seed=2))
    assert np.all(np.diff(sim.timestamp) >= 0)
    kinds = {KINDS[k] for k in np.unique(sim.kind)}
    assert kinds == set(KINDS)
    graded = sim.kind == KINDS.index("graded")
    assert np.all((sim.score[graded] >= 0) & (sim.score[graded] <= 1)) and np.isnan(sim.score[~graded]).all()
    # nobody submits a notebook before passing its prerequisites (peeking at it is allowed)
    passed: dict[str, set] = {}
    for r in range(len(sim)):
        who, i, kind = sim.learner[r], int(sim.item[r]), KINDS[sim.kind[r]]
        if kind == "submitted":
            needed = set(np.flatnonzero(CAT.prerequisite_matrix[i]).tolist())
            assert needed <= passed.get(who, set()), (who, CAT.ids[i])
        if kind == "graded" and sim.score[r] >= 0.5:
            passed.setdefault(who, set()).add(i)
    inter = sim.log().interactions(CAT)
    # skill matters: better learners get better grades
    skill = {x.pseudonym: x.skill for x in sim.learners}
    s = np.array([skill[sim.learner[r]] for r in np.flatnonzero(graded)])
    assert np.corrcoef(s, sim.score[graded])[0, 1] > 0.2
    # some drop out early: not everybody does many notebooks
    sizes = np.diff(inter.indptr)
    assert sizes.min() <= 2 and sizes.max() >= 6
    assert {x.department for x in sim.learners} >= {"network", "operations", ""}


def test_simulated_events_go_into_a_store():
    sim = simulate(CAT, SimulationConfig(learners=20, seed=4))
    store = EventStore()
    assert store.add(sim.events()) == len(sim)
    assert store.add(sim.events()) == 0
    a = Interactions.from_events(store.interactions(), CAT)
    b = sim.log().interactions(CAT)
    assert a.learners == b.learners and np.array_equal(a.items, b.items) and np.array_equal(a.completed, b.completed)


def test_temporal_split_and_relevance():
    log = EventLog(
        np.array(["a", "a", "b", "a", "b", "c"], dtype=object),
        np.array(["x/1", "x/2", "x/1", "x/1", "x/3", "x/2"], dtype=object),
        np.full(6, KINDS.index("executed"), np.int8),
        np.array([1.0, 2, 3, 4, 5, 6]),
        np.full(6, np.nan),
    )
    from mnss_recommender import Catalog, Item

    cat = Catalog(tuple(Item(f"x/{n}", str(n), str(n), "data") for n in (1, 2, 3)))
    split = temporal_split(log, 0.5)
    assert split.cutoff == 3.5 and split.train.timestamp.tolist() == [1, 2, 3]
    rel = relevant_items(split.train.interactions(cat), split.test)
    # a: x/1 again (seen before) is not relevant; b: x/3 new; c: new learner, x/2
    assert {k: v.tolist() for k, v in rel.items()} == {"b": [2], "c": [1]}
    # a mere open (a peek) is not working on a notebook
    peek = log.select(np.arange(6))
    peek.kind[4] = KINDS.index("opened")
    peek_split = temporal_split(peek, 0.5)
    assert set(relevant_items(peek_split.train.interactions(cat), peek_split.test)) == {"c"}
    # horizon "next": the first new notebook only
    two = EventLog(
        np.array(["a", "a", "a"], dtype=object),
        np.array(["x/1", "x/3", "x/2"], dtype=object),
        np.full(3, KINDS.index("executed"), np.int8),
        np.array([1.0, 5, 6]),
        np.full(3, np.nan),
    )
    parts = temporal_split(two, 0.4)
    train = parts.train.interactions(cat)
    assert relevant_items(train, parts.test, "next")["a"].tolist() == [2]  # x/3 came first
    assert relevant_items(train, parts.test, "all")["a"].tolist() == [1, 2]
    per = per_learner_split(log, 0.5)
    assert sorted(per.train.timestamp.tolist()) == [1, 3]  # a: first of 3 events, b: first of 2, c: none of 1


def test_evaluate_and_tune_on_a_small_simulation():
    sim = simulate(CAT, SimulationConfig(learners=300, seed=8))
    by_horizon = evaluate(sim.log(), CAT, sim.profiles)
    assert list(by_horizon) == ["next", "all"]
    results = by_horizon["next"]
    assert [r.model for r in results] == ["popularity", "item-knn", "content", "hybrid"]
    for r in results:
        assert 0 <= r.recall <= 1 and 0 <= r.ndcg <= 1 and 0 < r.coverage <= 1 and r.learners > 20
    by = {r.model: r for r in results}
    assert by["hybrid"].ndcg > by["popularity"].ndcg
    weights = tune_hybrid(temporal_split(sim.log()).train, CAT, sim.profiles)
    assert set(weights) == {"popular", "also_took", "next", "content", "prerequisite", "unlocked", "ease", "trending"}
    table = format_table(results)
    assert "NDCG@10" in table and "hybrid" in table


def test_format_table_shows_dash_without_cold_learners():
    row = ModelResult("m", 0.5, 0.25, 0.1, 10, 0, 0.0, 0.0, 0.01)
    assert format_table([row]).splitlines()[-1].split()[6] == "-"


def test_cli_evaluate_simulate_recommend(tmp_path, capsys):
    assert main(["evaluate", "--synthetic-catalog", "30", "--learners", "120", "--ml100k", "none"]) == 0
    out = capsys.readouterr().out
    assert "hybrid" in out and "Recall@10" in out
    db = f"sqlite:///{tmp_path}/r.sqlite"
    assert main(["simulate", "--synthetic-catalog", "30", "--learners", "30", "--db", db]) == 0
    learner = EventStore(db).learners()[0]
    capsys.readouterr()
    assert main(["recommend", "--synthetic-catalog", "30", "--db", db, learner, "--language", "en"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 5
    assert main(["evaluate", "--courses", str(tmp_path / "nowhere")]) == 2


def test_movielens_loader_reads_a_wheel(tmp_path):
    wheel = tmp_path / "recbole-0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(
            f"{movielens.MEMBER}.inter",
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t5\t100\n2\t10\t3\t50\n1\t20\t4\t200\n",
        )
        z.writestr(
            f"{movielens.MEMBER}.item",
            "item_id:token\tmovie_title:token_seq\trelease_year:token\t"
            "class:token_seq\n10\tToy Story\t1995\tAnimation Comedy\n"
            "20\tHeat\t1995\tAction Crime Thriller\n",
        )
    assert movielens.locate(tmp_path) == wheel
    catalog, log = movielens.load(wheel)
    assert catalog.ids == ["ml-100k/10", "ml-100k/20"] and catalog["ml-100k/20"].category == "action"
    assert log.learner.tolist() == ["ml-1", "ml-2", "ml-1"] and log.score.tolist() == [1.0, 0.6, 0.8]
    assert movielens.locate(tmp_path / "empty-dir-that-does-not-exist") in (None, movielens.locate(None))


def test_movielens_absent_is_none(tmp_path, monkeypatch):
    monkeypatch.delenv("MNSS_ML100K", raising=False)
    (tmp_path / "empty").mkdir()
    found = movielens.locate(tmp_path / "empty")
    assert found is None or "recbole" in str(found)  # only an installed recbole could be found


@pytest.mark.parametrize("seed", [0, 1])
def test_synthetic_catalog_is_acyclic_and_sized(seed):
    cat = synthetic_catalog(50, seed=seed)
    assert len(cat) == 50 and cat.problems == []
    order = {iid: n for n, iid in enumerate(cat.ids)}
    for iid in cat.ids:
        assert all(order[p] < order[iid] for p in cat.prerequisites_of(iid))  # only earlier ones: no cycle
