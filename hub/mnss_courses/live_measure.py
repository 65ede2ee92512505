"""One network check of a hidden test, measured by the trusted grader in the box's lab.

The kernel's report says only where the lab is; `measure` finds the lab in the box
(`live_checks.locate`) and measures what the check asks: loss for `check_reach` /
`check_recovers` (`live_checks`), the hops for `check_path` and a probe's row for
`check_service` (`live_probes`), the differences from SHAPE for `check_shape` (`live_shape`).
When the cell has a `check_shape`, every lab it measures is read first and must have that shape,
so a second, easier lab of the learner's own measures nothing.
"""

from __future__ import annotations

from mnss_kernel import shape as lab_shape

from . import live_checks, live_probes, live_shape
from .live_checks import LiveCheckError


def measure(box_pid: int, uid: int, enter_user: bool, where: object, check, shapes: list[dict]) -> object:
    """What the grader measured for `check` (a `hidden_checks.LiveCheck`): loss %, hops, a probe's
    row or the shape's differences. Raises LiveCheckError when the lab cannot be measured, or
    is not the lab the cell's shapes ask for."""
    holder_pid, lab, address = live_checks.locate(box_pid, uid, where)
    if check.kind == "shape" or check.kind == "path" or shapes:  # read now, not once: the kernel could rewire
        nodes, links, addresses, problems = live_shape.read(holder_pid, lab, enter_user)
        asked = [check.shape] if check.kind == "shape" else shapes
        problems = problems + [p for s in asked for p in lab_shape.differences(s, nodes, links, addresses)]
        if check.kind == "shape":
            return problems
        if problems:
            raise LiveCheckError("the lab measured is not the one the assignment asks for: " + "; ".join(problems))
    if check.kind == "path":
        owners = {a.split("/")[0]: node for node, held in addresses.items() for a in held}
        return live_probes.path(holder_pid, lab, address, enter_user, check.a, check.b, owners)
    if check.kind == "service":
        row = live_probes.service(holder_pid, lab, address, enter_user, check.a, check.b, check.service, uid)
        return {"ok": row.get("ok") is True, "detail": str(row.get("detail", ""))}
    if check.cut:
        live_checks.cut(holder_pid, lab, check.cut, enter_user)
    return live_checks.loss(holder_pid, lab, address, enter_user, check.a, check.b)
