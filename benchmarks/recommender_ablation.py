"""Where the hybrid stands against EASE^R on one table: ML-100k, global split, next new item,
learners with a training history (the table `recommender.py` reports as a tie).

Same split, tuning and metric code as `benchmarks/recommender.py`: EASE^R with its l2 picked on
the validation split, the hybrid tuned on it (evaluate.tune_settings), then the hybrid reduced to
its EASE^R part alone (it must equal EASE^R: the hybrid's own machinery costs nothing), and the
tuned hybrid with each part removed. Per row: NDCG@10, learners whose next item is in the top 10
("hits"), and the paired bootstrap 95% interval of the difference to EASE^R: its width says how
large a lead this many learners can show at all.
Run: `.venv/bin/python benchmarks/recommender_ablation.py --ml100k DIR` (a few minutes).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "recommender"))

from mnss_recommender import (  # noqa: E402
    Hybrid,
    HybridSettings,
    evaluate as ev,  # noqa: E402
    metrics,
    movielens,
)
from mnss_recommender.baselines import EASE  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ml100k", default=None, help="RecBole wheel / folder / ml-100k.inter")
    args = p.parse_args()
    source = movielens.locate(args.ml100k)
    if source is None:
        print("MovieLens-100k is not on this machine (pip download --no-deps recbole==1.2.1 -d DIR; --ml100k DIR)")
        return 2
    catalog, log = movielens.load(source)
    parts = ev.temporal_split(log, 0.8)
    train = parts.train.interactions(catalog)
    relevant = ev.relevant_items(train, parts.test, "next")
    warm = {who: items for who, items in relevant.items() if len(train.history(who))}
    validation = ev.Validation(parts.train, catalog, {}, 0.8)
    warm_validation = sum(1 for who in validation.learners if len(validation.inner.history(who)))
    print(
        f"ML-100k, global split at 80%, next new item: {len(relevant)} test learners, {len(warm)} with a "
        f"training history; validation: {len(validation.learners)} learners, {warm_validation} with a history"
    )

    scored = []
    for l2 in (50.0, 200.0, 500.0, 1000.0):  # as benchmarks/recommender.py picks it
        model = EASE(catalog, l2=l2).fit(validation.inner)
        scored.append((ev.evaluate_model(model, validation.relevant).ndcg, l2))
    l2 = max(scored)[1]
    tuned = ev.tune_settings(parts.train, catalog, {}, HybridSettings(ease_l2=l2), split="global", horizon="next")
    print(
        f"EASE^R l2 {l2:g}; hybrid tuned: lately half-life {tuned.trend_half_life:g} d, weights "
        + ", ".join(f"{k} {v:g}" for k, v in tuned.weights.items() if v)
    )

    def ndcg_each(model) -> np.ndarray:
        return ev.evaluate_model(model.fit(train), warm).ndcg_each

    ease = ndcg_each(EASE(catalog, l2=l2))
    rows = [("hybrid, tuned", tuned), ("hybrid, its EASE^R part alone", replace(tuned, weights={"ease": 1.0}))]
    rows += [
        (f"hybrid, tuned, without {part}", replace(tuned, weights={**tuned.weights, part: 0.0}))
        for part, weight in tuned.weights.items()
        if weight and part != "ease"
    ]
    print(f"\n{'model':<44} {'NDCG@10':>8} {'hits':>9}   hybrid - EASE^R, paired bootstrap 95%")
    print(f"{'EASE^R':<44} {ease.mean():>8.4f} {int((ease > 0).sum()):>4}/{len(ease):<4}")
    for name, settings in rows:
        each = ndcg_each(Hybrid(catalog, settings))
        diff, low, high = metrics.paired_bootstrap(each, ease)
        print(
            f"{name:<44} {each.mean():>8.4f} {int((each > 0).sum()):>4}/{len(each):<4}"
            f"   {diff:+.4f} [{low:+.4f}, {high:+.4f}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
