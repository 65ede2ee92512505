"""benchmarks/chaos_checks.py: what a drill calls lost, stored twice or kept though unconfirmed."""

from collections import Counter

from benchmarks import chaos_checks as checks


def test_a_record_per_confirmed_step_is_sound():
    verdict = checks.Verdict("a", "submission", confirmed=1, tried=1, kept=1)
    assert (verdict.lost, verdict.twice, verdict.unconfirmed_kept) == (0, 0, 0)


def test_fewer_records_than_confirmed_steps_are_lost():
    assert checks.Verdict("a", "submission", confirmed=2, tried=3, kept=1).lost == 1


def test_more_records_than_tries_are_stored_twice():
    assert checks.Verdict("a", "submission", confirmed=1, tried=1, kept=2).twice == 1


def test_a_retried_step_may_have_gone_through_unheard():
    """The first try's answer was lost in the outage: kept twice for two tries is not a fault,
    but it is counted, since a learner may then have two submissions."""
    verdict = checks.Verdict("a", "submission", confirmed=1, tried=2, kept=2)
    assert (verdict.lost, verdict.twice, verdict.unconfirmed_kept) == (0, 0, 1)


def test_fetched_is_expected_once_however_often_open_was_pressed():
    found = checks.verdicts(
        "a",
        confirmed=Counter({"fetch (panel open)": 2}),
        tried=Counter({"fetch (panel open)": 3}),
        events=Counter({"fetched": 1}),
        submissions=0,
    )
    fetched = next(v for v in found if v.what.startswith("fetched"))
    assert (fetched.confirmed, fetched.tried, fetched.lost, fetched.twice) == (1, 1, 0, 0)


def test_summary_names_the_learner_and_what_went_missing():
    found = checks.verdicts(
        "learner-b",
        confirmed=Counter({checks.SUBMIT: 1, "10-node lab in a kernel": 1, "fetch (panel open)": 1}),
        tried=Counter({checks.SUBMIT: 1, "10-node lab in a kernel": 1, "fetch (panel open)": 1}),
        events=Counter({"fetched": 1, "topology_run": 1}),  # the 'submitted' event is missing
        submissions=1,
    )
    summary = checks.summary(found)
    assert summary["lost"] == 1 and summary["stored_twice"] == 0
    assert summary["problems"] == ["learner-b: submitted event (recommender): confirmed 1, tried 1, kept 0"]


def test_growth_is_relative_and_unknown_without_a_baseline():
    assert checks.growth(100, 104) == 0.04
    assert checks.growth(None, 104) is None and checks.growth(0, 5) is None
