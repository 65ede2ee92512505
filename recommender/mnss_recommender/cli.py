"""python -m mnss_recommender evaluate | simulate | recommend"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import evaluate as ev, movielens
from .catalog import Catalog
from .events import EventStore
from .models import MODELS, HybridSettings, build
from .profiles import LearnerProfile
from .simulate import SimulationConfig, simulate
from .synthcatalog import synthetic_catalog


def _catalog(args) -> Catalog:
    if args.synthetic_catalog:
        return synthetic_catalog(args.synthetic_catalog, seed=args.seed)
    catalog = Catalog.load(args.courses, strict=False)
    for problem in catalog.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return catalog


def _add_catalog_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--courses", default="courses", help="course folder (default: %(default)s)")
    p.add_argument("--synthetic-catalog", type=int, metavar="N", help="use a made-up catalog of N notebooks instead")
    p.add_argument("--seed", type=int, default=7)


HORIZON_TITLES = {
    "next": "relevant = the next notebook each learner worked on after the split",
    "all": "relevant = every new notebook each learner worked on after the split",
}


def _print_results(results, k, title):
    for horizon, rows in results.items():
        print(ev.format_table(rows, k, title=f"\n{title}; {HORIZON_TITLES[horizon]}"))


def cmd_evaluate(args) -> int:
    catalog = _catalog(args)
    config = SimulationConfig(learners=args.learners, days=args.days, seed=args.seed)
    log = simulate(catalog, config)
    print(
        f"catalog: {len(catalog)} notebooks in {len({i.course for i in catalog.items})} courses; "
        f"simulated {len(log.learners)} learners, {len(log)} events (seed {args.seed})"
    )
    settings = None
    if args.tune:
        split = ev.temporal_split(log.log(), args.train_fraction)
        weights = ev.tune_hybrid(split.train, catalog, log.profiles, k=args.k)
        print("hybrid weights tuned on the training period:", weights)
        settings = HybridSettings(weights=weights)
    results = ev.evaluate(
        log.log(), catalog, log.profiles, train_fraction=args.train_fraction, k=args.k, hybrid_settings=settings
    )
    _print_results(results, args.k, f"synthetic logs, temporal split at {args.train_fraction:.0%}")
    if args.ml100k != "none":
        source = movielens.locate(args.ml100k)
        if source is None:
            print(
                "\nMovieLens-100k: not on this machine (pip download --no-deps recbole==1.2.1 -d DIR, "
                "then --ml100k DIR); skipped"
            )
        else:
            ml_catalog, ml_log = movielens.load(source)
            settings = None
            for split in ("global", "per-learner"):
                if args.tune:
                    part = ev.SPLITS[split](ml_log, args.train_fraction)
                    settings = HybridSettings(weights=ev.tune_hybrid(part.train, ml_catalog, k=args.k, split=split))
                results = ev.evaluate(
                    ml_log,
                    ml_catalog,
                    train_fraction=args.train_fraction,
                    k=args.k,
                    hybrid_settings=settings,
                    split=split,
                )
                _print_results(
                    results,
                    args.k,
                    f"MovieLens-100k ({source.name}), {split} temporal split at {args.train_fraction:.0%}",
                )
    return 0


def cmd_simulate(args) -> int:
    catalog = _catalog(args)
    log = simulate(catalog, SimulationConfig(learners=args.learners, days=args.days, seed=args.seed))
    store = EventStore(args.db)
    added = store.add(log.events())
    for who, profile in log.profiles.items():
        store.set_profile(who, profile.department)
    print(f"{added} new events ({len(log)} simulated) for {len(log.learners)} learners in {args.db}")
    return 0


def cmd_recommend(args) -> int:
    catalog = _catalog(args)
    store = EventStore(args.db)
    interactions = store.log().interactions(catalog)
    model = build(args.model, catalog).fit(interactions)
    profile = store.profiles().get(args.learner)
    if args.department or args.category:
        profile = LearnerProfile(args.department, tuple(args.category or ()))
    for rec in model.recommend(args.learner, args.k, profile):
        print(f"{rec.item:<40} {rec.score:7.3f}  {rec.reason.text(args.language)}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mnss_recommender", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("evaluate", help="simulate logs on the catalog, temporal split, metrics for every model")
    _add_catalog_args(e)
    e.add_argument("--learners", type=int, default=3000)
    e.add_argument("--days", type=float, default=180.0)
    e.add_argument("--train-fraction", type=float, default=0.8)
    e.add_argument("-k", type=int, default=10)
    e.add_argument("--tune", action="store_true", help="tune hybrid weights on the training period first")
    e.add_argument(
        "--ml100k",
        default=None,
        metavar="PATH",
        help="recbole wheel, folder or ml-100k.inter for the MovieLens-100k check ('none' skips); "
        "default: $MNSS_ML100K or an installed recbole",
    )
    e.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("simulate", help="write simulated events into an event store")
    _add_catalog_args(s)
    s.add_argument("--learners", type=int, default=200)
    s.add_argument("--days", type=float, default=180.0)
    s.add_argument("--db", default="sqlite:///recommender.sqlite", help="SQLAlchemy URL (default: %(default)s)")
    s.set_defaults(func=cmd_simulate)

    r = sub.add_parser("recommend", help="recommend notebooks for one learner from an event store")
    _add_catalog_args(r)
    r.add_argument("learner")
    r.add_argument("--db", default="sqlite:///recommender.sqlite")
    r.add_argument("--model", choices=sorted(MODELS), default="hybrid")
    r.add_argument("-k", type=int, default=5)
    r.add_argument("--department")
    r.add_argument("--category", action="append")
    r.add_argument("--language", choices=("zh", "en"), default="zh")
    r.set_defaults(func=cmd_recommend)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "courses", None) and not args.synthetic_catalog and not Path(args.courses).is_dir():
        print(f"error: no course folder {args.courses}", file=sys.stderr)
        return 2
    return args.func(args)
