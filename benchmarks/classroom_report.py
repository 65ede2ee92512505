"""The pure parts of benchmarks/classroom.py: percentiles, failure reasons counted, cgroup and /proc
numbers read from their text, the report as a table. Kept apart so they are unit-tested without a
hub (tests/unit/test_classroom_report.py)."""

from __future__ import annotations

import math
import re
from collections import Counter

MIB = 1024 * 1024


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation between closest ranks; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def spread(values: list[float]) -> dict:
    """p50, p95 and max of `values` (seconds), with n."""
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values, default=None),
    }


def reason(step: str, error: BaseException | str, learner: str) -> str:
    """A failure's reason as counted: the step, then the error's first line without the learner's
    name, numbers of ids or addresses, so the same cause in many learners counts as one reason."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, BaseException) and not text.startswith(type(error).__name__):
        text = f"{type(error).__name__}: {text}"
    text = text.replace(learner, "<learner>")
    text = re.sub(r"\b[0-9a-f]{12,}\b", "<id>", text)
    text = re.sub(r"\b\d+\.\d+\.\d+\.\d+(:\d+)?\b", "<address>", text)
    return f"{step}: {text[:200]}"


def tally(reasons: list[str]) -> dict[str, int]:
    """reason -> how many learners failed with it, most frequent first."""
    return dict(Counter(reasons).most_common())


def cpu_seconds(stat_line: str, ticks_per_second: int) -> float:
    """User + system CPU seconds of a process from its /proc/PID/stat line (fields 14 and 15; the
    command name in parentheses may itself hold spaces and parentheses)."""
    fields = stat_line[stat_line.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / ticks_per_second


def working_set(usage: int, memory_stat: str) -> int:
    """Bytes a container uses as `docker stats` counts them: usage minus the inactive file cache
    (cgroup v1 `total_inactive_file`, v2 `inactive_file`)."""
    stat = dict(line.split() for line in memory_stat.splitlines() if line.count(" ") == 1)
    inactive = int(stat.get("total_inactive_file", stat.get("inactive_file", 0)))
    return max(usage - inactive, 0)


def find_max(results: list[dict]) -> int:
    """The largest class size of a --find-max run with 0 failures before the first one that failed."""
    best = 0
    for result in results:
        if result["failures"]:
            break
        best = result["learners"]
    return best


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value / MIB:.0f}"


def table(result: dict) -> str:
    """One class run as text: what went wrong first, then times, memory and CPU."""
    lines = [
        f"class of {result['learners']} (logins within {result['window_s']:.0f} s), "
        f"load average {' '.join(f'{x:.2f}' for x in result['load_before'])} before, "
        f"{' '.join(f'{x:.2f}' for x in result['load_after'])} after; whole run {result['wall_s']:.1f} s",
        f"failures: {result['failures']} of {result['learners']}",
    ]
    lines += [f"  {count} x {why}" for why, count in result["failure_reasons"].items()]
    if result["failures"]:
        lines.append("  (the failed learners' server logs: --json, failed_servers_said)")
    lines.append(f"spawn retries after 429 (concurrent spawn limit): {result['spawn_retries']}")
    lines.append(f"{'step (s)':30}{'n':>5}{'p50':>9}{'p95':>9}{'max':>9}")
    for name, values in result["steps"].items():
        lines.append(f"{name:30}{values['n']:5d}{_s(values['p50']):>9}{_s(values['p95']):>9}{_s(values['max']):>9}")
    memory = result["memory"]
    lines += [
        f"memory per learner container (server + kernels + lab), peak MiB: p50 {_mib(memory['per_learner']['p50'])}, "
        f"p95 {_mib(memory['per_learner']['p95'])}, max {_mib(memory['per_learner']['max'])} "
        f"(n={memory['per_learner']['n']}; kernel's peak incl. page cache: max {_mib(memory['kernel_peak_max'])})",
        f"memory of all learner containers at once, peak MiB: {_mib(memory['total_peak'])}; "
        f"host memory in use, peak above the start: {_mib(memory['host_peak_above_start'])}; "
        f"tasks in one container (pids limit counts them), peak: {memory.get('pids_peak_max') or '-'}",
        "CPU seconds during the class and grading: "
        + ", ".join(f"{name} {_s(seconds)}" for name, seconds in result["cpu_s"].items()),
        f"grading (collect + autograde through mnss/api/grade): {_s(result['grading_s'])} s, "
        f"{result['graded_full']} of {result['learners']} with full marks",
    ]
    return "\n".join(lines)
