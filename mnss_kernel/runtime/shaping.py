"""The tc qdiscs of one interface: what a link's bandwidth, delay and loss become, and how to change
from one such shape to another (a throttled link and back) without losing the rest of it.

Layout: a rate is an htb root (1:) with one class (1:1); delay/loss is a netem qdisc, under 1:1 when
there is a rate, else at the root. A link with neither has the kernel's default qdisc.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    rate: float | None = None  # Mbit/s
    netem: tuple[str, ...] = ()  # netem arguments: delay 10ms 2ms loss 1%

    @property
    def empty(self) -> bool:
        return self.rate is None and not self.netem

    def capped(self, mbit: float | None) -> Shape:
        """This shape with its rate at most `mbit` (no cap: unchanged)."""
        if mbit is None:
            return self
        return Shape(mbit if self.rate is None else min(self.rate, mbit), self.netem)


def of_link(link) -> Shape:
    """The shape a topology link asks for (both of its ends get it)."""
    netem: list[str] = []
    if link.delay:
        netem += ["delay", f"{link.delay}ms"] + ([f"{link.jitter}ms"] if link.jitter else [])
    if link.loss:
        netem += ["loss", f"{link.loss}%"]
    return Shape(link.bw or None, tuple(netem))


def _rate(mbit: float) -> str:
    return f"htb rate {mbit:g}mbit burst 15k"


def install_lines(dev: str, shape: Shape) -> list[str]:
    """`tc -batch` lines giving a device with the default qdisc this shape."""
    lines = []
    if shape.rate is not None:
        lines += [
            f"qdisc add dev {dev} root handle 1: htb default 1",
            f"class add dev {dev} parent 1: classid 1:1 {_rate(shape.rate)}",
        ]
        if shape.netem:
            lines.append(f"qdisc add dev {dev} parent 1:1 handle 10: netem {' '.join(shape.netem)}")
    elif shape.netem:
        lines.append(f"qdisc add dev {dev} root handle 10: netem {' '.join(shape.netem)}")
    return lines


def reshape_lines(dev: str, old: Shape, new: Shape) -> list[str]:
    """`tc -batch` lines turning shape `old` (installed) into `new`.

    Only a rate change under an unchanged netem is done in place (class change, nothing else is
    touched); anything else replaces the root, which rebuilds netem under the new layout, so a
    throttled delay-only link keeps its delay and gets it back alone on repair.
    """
    if old == new:
        return []
    if old.rate is not None and new.rate is not None and old.netem == new.netem:
        return [f"class change dev {dev} parent 1: classid 1:1 {_rate(new.rate)}"]
    return ([] if old.empty else [f"qdisc del dev {dev} root"]) + install_lines(dev, new)
