"""Run an experiment's steps on a real lab, keep what each measured, and check its expectations.

`Session` works on a lab someone else runs (the notebook's canvas); `run` builds the lab itself and
always tears it down, also when a step fails (what the catalog tests use)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import measure
from ..runtime import Lab
from .model import ADDRESS, Experiment, fault_of


@dataclass(frozen=True)
class Check:
    step: str
    what: str
    expected: Any
    measured: Any
    ok: bool


@dataclass
class Report:
    experiment: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.__dict__ for c in self.checks], columns=["step", "what", "expected", "measured", "ok"])

    def text(self) -> str:
        """One line per expectation, ✓ or ✗, then the verdict in Chinese and English."""
        lines = [
            f"{'✓' if c.ok else '✗'} {c.step}.{c.what}: expected {c.expected}, measured {c.measured}"
            for c in self.checks
        ]
        passed = sum(c.ok for c in self.checks)
        lines.append(
            f"{passed}/{len(self.checks)} 项预期成立 / expectations hold"
            + ("" if self.ok else " — 实验结果与预期不符 / the measurements differ from what was expected")
        )
        return "\n".join(lines)


def with_addresses(command: str, address) -> str:
    """The command with each {ip:NODE} replaced by that node's address (`address(node)`)."""
    return ADDRESS.sub(lambda m: address(m.group(1)), command)


def _in(value: float, bounds: dict) -> bool:
    return bounds.get("min", float("-inf")) <= value <= bounds.get("max", float("inf"))


class Session:
    """The steps of one experiment, done one at a time on a running lab."""

    def __init__(self, experiment: Experiment, lab: Lab):
        self.experiment, self.lab = experiment, lab
        self.measured: dict[str, Any] = {}

    def step(self, index: int) -> Any:
        """Do step `index` (0-based); what it measured is kept under its id and returned."""
        step = self.experiment.steps[index]
        result = self._do(step)
        if "id" in step:
            self.measured[step["id"]] = result
        return result

    def run_all(self) -> Report:
        for index in range(len(self.experiment.steps)):
            self.step(index)
        return self.check()

    def _do(self, step: dict) -> Any:
        lab, do = self.lab, step["do"]
        if do == "ping_all":
            return measure.ping_matrix(lab, step.get("nodes"))
        if do == "ping":
            return measure.ping(lab, step["src"], step["dst"], count=step.get("count", 3)).to_frame().T
        if do == "traceroute":
            hops = measure.traceroute(lab, step["src"], step["dst"], max_hops=step.get("max_hops", 8))
            hops.attrs["dst"] = step["dst"]
            return hops
        if do == "iperf":
            return measure.iperf(lab, step["src"], step["dst"], seconds=step.get("seconds", 1))
        if do == "app":
            return measure.app_probe(lab, step["src"], step["dst"], timeout=2)
        if do == "cmd":
            return lab.cmd(step["node"], with_addresses(step["command"], lab.address), timeout=30)
        fault = fault_of(step["fault"])
        fault.inject(lab) if do == "fault" else fault.repair(lab)
        return fault.describe()

    def check(self) -> Report:
        """Every expectation against what its step measured (an expectation whose step has not run fails)."""
        report = Report(self.experiment.name)
        for item in self.experiment.expect:
            what = next(k for k in item if k != "step")
            expected = item[what]
            if item["step"] not in self.measured:
                report.checks.append(Check(item["step"], what, expected, "(step not run)", False))
                continue
            measured, ok = _measure(what, expected, self.measured[item["step"]])
            report.checks.append(Check(item["step"], what, expected, measured, ok))
        return report


def _loss(pings: pd.DataFrame, pair: list[str]) -> float | None:
    rows = pings[(pings.src == pair[0]) & (pings.dst == pair[1])]
    return None if rows.empty else float(rows.loss_pct.iloc[0])


def _measure(what: str, expected: Any, result: Any) -> tuple[Any, bool]:
    """(what was measured, whether it is what was expected) for one expectation."""
    if what == "loss_pct":
        low, high = float(result.loss_pct.min()), float(result.loss_pct.max())
        return f"{low:g}..{high:g} %", _in(low, expected) and _in(high, expected)
    if what in ("reachable", "unreachable"):
        losses = {f"{a}->{b}": _loss(result, [a, b]) for a, b in expected}
        good = (lambda v: v is not None and v < 100) if what == "reachable" else (lambda v: v == 100)
        return {k: "not measured" if v is None else f"{v:g} %" for k, v in losses.items()}, all(
            good(v) for v in losses.values()
        )
    if what == "reachable_pairs":
        count = int((result.loss_pct < 100).sum())
        return f"{count} of {len(result)}", _in(count, expected)
    if what in ("reached", "path"):
        answered = [n for n in result.node if isinstance(n, str)]
        reached = len(result) > 0 and result.node.iloc[-1] == result.attrs.get("dst")
        if what == "path":
            return answered, answered == expected
        return reached, reached == expected
    if what == "mbps":
        mbps = float(result.mbps_received.iloc[0])
        return round(mbps, 1), _in(mbps, expected)
    if what == "ok":
        return f"{result['ok']} ({result['detail']})", result["ok"] == expected
    if what == "exit_code":
        return result.returncode, result.returncode == expected
    if what == "stdout_contains":
        return result.stdout.strip()[-200:], expected in result.stdout
    raise ValueError(f"unknown expectation {what!r}")


def run(experiment: Experiment) -> Report:
    """Build the experiment's lab, do every step, check the expectations; the lab is always stopped."""
    with Lab(experiment.topology()) as lab:
        return Session(experiment, lab).run_all()
