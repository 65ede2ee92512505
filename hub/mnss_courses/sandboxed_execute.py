"""nbgrader's autograde with the learner's kernel in a box (`sandbox.Box`), selected by config.

nbgrader's Autograde converter and its gradebook stay in the trusted process; only its Execute
preprocessor is replaced (`configure(c)` sets `Autograde.autograde_preprocessors`), so nbgrader
itself is not patched. The replacement starts each notebook's kernel in a fresh box and turns
every way a submission can misbehave into a failed cell, never into a failed grading run:

- a cell that runs too long is interrupted (nbgrader's own per-cell timeout);
- a notebook that runs too long in total is stopped, its remaining cells fail;
- a kernel that dies (killed by the learner, SIGXCPU, out of memory) fails the cell that was
  running and the cells after it; cells that already passed keep their points.
"""

from __future__ import annotations

import os
import subprocess
import time

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from traitlets import Any, Integer, List, Unicode

from . import feedback, hidden_checks, hidden_tests, live_checks, live_measure
from .sandbox import Box, Limits


class BoxKernelManager(AsyncKernelManager):
    """Starts the kernel inside `box`, talking to it over ipc sockets in the box's stage dir."""

    box = Any(None, allow_none=True)

    async def _async_pre_start_kernel(self, **kw):
        self.transport = "ipc"
        self.cache_ports = False
        self.ip = str(self.box.stage / "ipc" / "k")
        self.connection_file = str(self.box.stage / "kernel.json")
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        self.box.give(self.connection_file)
        # signals to the process group would hit the box's own init; ask the kernel instead
        self.kernel_spec.interrupt_mode = "message"
        tools = os.environ.get("PATH", os.defpath).split(os.pathsep)
        path = os.pathsep.join(tools + [d for d in ("/usr/sbin", "/sbin") if d not in tools])
        kw["env"] = self.box.environment(path)
        kw["cwd"] = str(self.box.stage)
        kw.setdefault("stdout", subprocess.DEVNULL)  # the kernel's banner; its errors still reach stderr
        await super()._async_launch_kernel(self.box.command(kernel_cmd), **kw)


def _fail(cell: NotebookNode, reason: str) -> None:
    """Make a cell count as failed in nbgrader's eyes (an error output), with the reason shown."""
    cell.outputs.append(
        NotebookNode(
            output_type="error", ename="AutogradeLimit", evalue=reason, traceback=[f"AutogradeLimit: {reason}"]
        )
    )


class SandboxExecute(Execute):
    """nbgrader's Execute with the kernel in a box and limits that fail cells, not the run."""

    memory_mb = Integer(Limits.memory_mb, help="Address space limit per process of the box, MiB.").tag(config=True)
    processes = Integer(Limits.processes, help="Most processes the box may run at once.").tag(config=True)
    cpu_seconds = Integer(Limits.cpu_seconds, help="CPU seconds per process of the box.").tag(config=True)
    file_mb = Integer(Limits.file_mb, help="Largest file the box may write, MiB.").tag(config=True)
    work_mb = Integer(Limits.work_mb, help="Size of the box's tmpfs working directory, MiB.").tag(config=True)
    notebook_timeout = Integer(900, help="Wall-clock seconds for a whole notebook; later cells fail.").tag(config=True)
    hidden_paths = List(
        Unicode(), help="More folders the box must not see (the course root and catalog are always hidden)."
    ).tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", BoxKernelManager)  # nbgrader's __init__ sets its own
        super().__init__(*args, **kwargs)

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.box = self._box
        return km

    def _hidden(self) -> list[str]:
        course_root = CourseDirectory(config=self.config).root
        return [course_root, *self.hidden_paths]

    def preprocess(self, nb, resources=None, km=None):
        limits = Limits(self.memory_mb, self.processes, self.cpu_seconds, self.file_mb, self.work_mb)
        self._box = Box(limits, self._hidden())
        if not self._box.allow_list:
            self.log.warning(
                "bubblewrap cannot build the grading box here (%s): the box hides a deny-list of "
                "paths instead of seeing an allow-list",
                self._box.fallback_reason,
            )
        self._stopped = ""
        self._cell_timeout = self.timeout
        self._deadline = time.monotonic() + self.notebook_timeout
        try:
            self._box.add_inputs((resources or {}).get("metadata", {}).get("path") or os.getcwd())
            return super().preprocess(nb, resources, km)
        finally:
            self.timeout = self._cell_timeout
            self._box.remove()

    def process_message(self, msg, cell, cell_index):
        """Measure each network check as its report arrives, while the learner's lab is up."""
        checks = getattr(self, "_checks", None)
        if checks is not None and checks.live and msg.get("msg_type") == "stream":
            hidden_checks.note_reports(msg["content"].get("text", ""), checks, self._measure)
        return super().process_message(msg, cell, cell_index)

    def _measure(self, where, check: hidden_checks.LiveCheck, shapes: list[dict]) -> object:
        """What `check` measures, measured by this process in the box's lab, or "unmeasured"."""
        box_pid = self.km.provisioner.pid if self.km and self.km.provisioner else None
        if box_pid is None:
            return "the box's kernel is not running"
        try:
            return live_measure.measure(box_pid, self._box.uid, self._box.rootless, where, check, shapes)
        except live_checks.LiveCheckError as err:
            self.log.warning("network check %s %s -> %s not measured: %s", check.kind, check.a, check.b, err)
            return "unmeasured"  # the details name hidden nodes: the log has them, not the feedback

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        remaining = self._deadline - time.monotonic()
        if not self._stopped and remaining <= 0:
            self._stopped = f"the notebook ran out of its {self.notebook_timeout} s for grading"
        if self._stopped:
            cell.outputs = []
            _fail(cell, self._stopped)
            return cell, resources
        if self._cell_timeout is not None:
            self.timeout = max(1, int(min(self._cell_timeout, remaining)))
        judged_here = hidden_tests.is_test(cell) and hidden_tests.has_hidden(cell)
        checks = hidden_checks.plan(cell.source, str(self._box.stage / "ipc")) if judged_here else None
        original = cell.source
        self._checks = checks
        try:
            if checks is not None:
                cell.source = checks.box_source  # the expected values stay here
            cell, resources = super().preprocess_cell(cell, resources, index)
            if checks is not None:
                hidden_checks.settle(cell, checks)
            return cell, resources
        except DeadKernelError:
            self._stopped = (
                "the kernel died while this notebook was graded (it was killed, ran out of memory or went over a limit)"
            )
        except CellTimeoutError as err:
            _fail(cell, f"no answer from the kernel in time ({str(err).splitlines()[0][:200]})")
            return cell, resources
        finally:
            cell.source = original
            self._checks = None
            if checks is not None:
                hidden_checks.forget_waits(checks)
        _fail(cell, self._stopped)
        return cell, resources


def preprocessors() -> list:
    """nbgrader's autograde preprocessors with Execute replaced by SandboxExecute."""
    from nbgrader.converters import Autograde

    stock = Autograde.class_traits()["autograde_preprocessors"].default()
    return [SandboxExecute if p is Execute else p for p in stock]


def configure(c, **options):
    """Select sandboxed execution for autograde in an nbgrader config, and feedback pages without
    hidden tests (`feedback.HideHiddenTests`); options set SandboxExecute traits."""
    c.Autograde.autograde_preprocessors = preprocessors()
    feedback.configure(c)
    for name, value in options.items():
        setattr(c.SandboxExecute, name, value)
    return c
