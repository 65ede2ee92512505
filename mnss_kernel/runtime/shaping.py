"""The tc qdiscs of one interface: what a link's bandwidth, delay and loss become, and how to change
from one such shape to another (a throttled link and back) without losing the rest of it.

The qdisc layout and its tc text are in commands.py (a rate is an htb root with one class; delay
and loss a netem qdisc, under that class when there is a rate, else at the root).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import commands


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
    return Shape(link.bw or None, commands.netem_args(link.delay, link.jitter, link.loss))


def install_lines(dev: str, shape: Shape) -> list[str]:
    """`tc -batch` lines giving a device with the default qdisc this shape."""
    return commands.qdiscs_add(dev, shape.rate, shape.netem)


def reshape_lines(dev: str, old: Shape, new: Shape) -> list[str]:
    """`tc -batch` lines turning shape `old` (installed) into `new`.

    Only a rate change under an unchanged netem is done in place (class change, nothing else is
    touched); anything else replaces the root, which rebuilds netem under the new layout, so a
    throttled delay-only link keeps its delay and gets it back alone on repair.
    """
    if old == new:
        return []
    if old.rate is not None and new.rate is not None and old.netem == new.netem:
        return [commands.rate_change(dev, new.rate)]
    return ([] if old.empty else [commands.qdiscs_del(dev)]) + install_lines(dev, new)
