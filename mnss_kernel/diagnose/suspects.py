"""Suspects and the diagnosis: what is probably wrong, why we think so, in English and Chinese."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import texts

KIND_LABELS = texts.kind_labels()  # kind -> (English, Chinese)


@dataclass
class Suspect:
    """One probable fault: `kind` (a fault kind of `mnss_kernel.faults`), `where` (its fields, as a
    fault of that kind names them), a score in 0..1 (higher: more certain) and the evidence."""

    kind: str
    where: dict
    summary: tuple[str, str]  # (English, Chinese)
    evidence: list[tuple[str, str]] = field(default_factory=list)
    score: float = 0.9
    nodes: frozenset[str] = frozenset()  # nodes whose ping pairs it explains

    @property
    def key(self) -> tuple:
        return key_of(self.kind, self.where)

    def text(self, language: str = "zh-CN") -> str:
        i = 1 if language.startswith("zh") else 0
        lang = "zh-CN" if i else "en"
        lines = [texts.text("report", "suspect", lang, label=KIND_LABELS[self.kind][i], summary=self.summary[i])]
        lines += [f"    - {e[i]}" for e in self.evidence]
        return "\n".join(lines)


def key_of(kind: str, where: dict) -> tuple:
    """What identifies a fault of a kind (a link regardless of its ends' order; not the rate or VLAN
    it was set to): used to compare suspects with seeded faults."""
    if kind in ("link_down", "throttle"):
        return (kind, frozenset((where["a"], where["b"])))
    if kind == "node_down":
        return (kind, where["node"])
    if kind == "wrong_vlan":
        return (kind, where["switch"], where["node"])
    if kind == "wrong_gateway":
        return (kind, where["host"])
    if kind == "route_removed":
        return (kind, where["router"], where["network"])
    if kind == "firewall_block":
        return (kind, where["node"], where["src"], where["dst"])
    return (kind, tuple(sorted(where.items())))


def fault_key(fault) -> tuple:
    """The key of a fault object from `mnss_kernel.faults` (for drills and benchmarks)."""
    described = fault.describe()
    return key_of(described.pop("kind"), described)


@dataclass
class Diagnosis:
    """The ranked suspects (most probable first), the measurements they rest on, and the time taken."""

    suspects: list[Suspect]
    pings: pd.DataFrame
    failing: pd.DataFrame  # the pairs that get no answer but should (not those the topology blocks)
    seconds: float

    @property
    def failing_pairs(self) -> int:
        return len(self.failing)

    @property
    def blocked_by_design(self) -> int:
        lost = int((self.pings.loss_pct == 100).sum()) if len(self.pings) else 0
        return lost - self.failing_pairs

    def text(self, language: str = "zh-CN") -> str:
        lang = "zh-CN" if language.startswith("zh") else "en"
        head = texts.text(
            "report",
            "head",
            lang,
            seconds=self.seconds,
            pairs=len(self.pings),
            failing=self.failing_pairs,
            blocked=self.blocked_by_design,
            suspects=len(self.suspects),
        )
        if not self.suspects:
            return "\n".join([head, texts.text("report", "no_fault", lang)])
        body = [f"{rank}. [{s.score:.2f}] {s.text(language)}" for rank, s in enumerate(self.suspects, 1)]
        return "\n".join([head, *body])

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "rank": rank,
                    "kind": s.kind,
                    "where": s.where,
                    "score": s.score,
                    "summary_en": s.summary[0],
                    "summary_zh": s.summary[1],
                    "evidence_en": [e[0] for e in s.evidence],
                    "evidence_zh": [e[1] for e in s.evidence],
                }
                for rank, s in enumerate(self.suspects, 1)
            ]
        )
