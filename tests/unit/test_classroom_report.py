"""benchmarks/classroom_report.py: the numbers the class-of-100 benchmark reports."""

from __future__ import annotations

import pytest

from benchmarks import classroom_report as report

STAT_V1 = "cache 1000\nrss 5000\ntotal_cache 1000\ntotal_inactive_file 300\nhierarchical_memory_limit 99\n"
STAT_V2 = "anon 5000\nfile 1000\ninactive_file 400\nactive_file 600\n"


def test_percentiles_interpolate_between_ranks():
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert report.percentile(values, 50) == pytest.approx(50.5)
    assert report.percentile(values, 95) == pytest.approx(95.05)
    assert report.percentile([3.0, 1.0, 2.0], 100) == 3.0
    assert report.percentile([7.0], 95) == 7.0
    assert report.percentile([], 50) is None
    assert report.spread([2.0, 4.0]) == {"n": 2, "p50": 3.0, "p95": pytest.approx(3.9), "max": 4.0}
    assert report.spread([]) == {"n": 0, "p50": None, "p95": None, "max": None}


def test_the_same_cause_in_many_learners_is_one_reason():
    first = report.reason("spawn", RuntimeError("l1cX spawn at 172.31.198.7:8888 failed (abcdef0123456789)"), "l1cX")
    second = report.reason("spawn", RuntimeError("l2cX spawn at 172.31.198.9:8888 failed (0123456789abcdef)"), "l2cX")
    assert first == second == "spawn: RuntimeError: <learner> spawn at <address> failed (<id>)"
    other = report.reason("submit (panel)", "HTTP 502: nbgrader timed out", "l3cX")
    assert report.tally([first, other, second]) == {first: 2, other: 1}
    assert list(report.tally([other, first, first])) == [first, other]  # most frequent first
    assert report.reason("grade", TimeoutError(), "l1") == "grade: TimeoutError"
    assert len(report.reason("x", "y" * 5000, "l1")) == len("x: ") + 200


def test_cpu_seconds_from_a_stat_line_whose_name_has_spaces_and_parentheses():
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    line = "4242 (node (proxy) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 130 7 9 20 0 11 0"
    assert report.cpu_seconds(line, 100) == pytest.approx(3.8)


def test_working_set_leaves_out_inactive_file_cache_as_docker_stats_does():
    assert report.working_set(10_000, STAT_V1) == 9_700
    assert report.working_set(10_000, STAT_V2) == 9_600
    assert report.working_set(100, STAT_V2) == 0  # never below zero
    assert report.working_set(10_000, "") == 10_000


def test_find_max_stops_at_the_first_class_with_a_failure():
    runs = [{"learners": 10, "failures": 0}, {"learners": 20, "failures": 0}, {"learners": 40, "failures": 3}]
    assert report.find_max(runs) == 20
    assert report.find_max(runs + [{"learners": 70, "failures": 0}]) == 20  # not counted past a failure
    assert report.find_max([{"learners": 10, "failures": 1}]) == 0


def test_the_table_names_failures_times_memory_cpu_and_grading():
    result = {
        "learners": 5,
        "window_s": 60,
        "load_before": [6.1, 8.0, 8.2],
        "load_after": [7.0, 8.1, 8.2],
        "wall_s": 123.4,
        "failures": 1,
        "failure_reasons": {"spawn: RuntimeError: not ready after 300 s": 1},
        "spawn_retries": 2,
        "steps": {"login to usable lab": report.spread([5.0, 7.0]), "lab build": report.spread([])},
        "memory": {
            "per_learner": report.spread([200 * report.MIB, 300 * report.MIB]),
            "kernel_peak_max": 310 * report.MIB,
            "total_peak": 500 * report.MIB,
            "host_peak_above_start": 1500 * report.MIB,
            "pids_peak_max": 61,
        },
        "cpu_s": {"hub": 1.5, "proxy": None},
        "grading_s": 40.25,
        "graded_full": 4,
    }
    text = report.table(result)
    assert "class of 5 (logins within 60 s), load average 6.10 8.00 8.20 before" in text
    assert "failures: 1 of 5\n  1 x spawn: RuntimeError: not ready after 300 s" in text
    assert "login to usable lab               2     6.00     6.90     7.00" in text
    assert "lab build                         0        -        -        -" in text
    assert "peak MiB: p50 250, p95 295, max 300 (n=2; kernel's peak incl. page cache: max 310)" in text
    assert "all learner containers at once, peak MiB: 500; host memory in use, peak above the start: 1500" in text
    assert "tasks in one container (pids limit counts them), peak: 61" in text
    assert "(the failed learners' server logs: --json, failed_servers_said)" in text
    assert "hub 1.50, proxy -" in text
    assert "40.25 s, 4 of 5 with full marks" in text
