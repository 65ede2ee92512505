"""One real IPython kernel for a test module, and running a cell in it as JupyterLab would: what
the tutorial and experiment-catalog tests share."""

import os
import pwd
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Empty

from jupyter_client.manager import KernelManager, start_new_kernel

from tests.support import unprivileged


@contextmanager
def real_kernel(cwd: Path) -> Iterator:
    """A kernel of this interpreter working in `cwd`; its client, shut down on leaving."""
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(cwd))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


class _UnprivilegedKernelManager(KernelManager):
    """Starts the kernel as the unprivileged account, which must read its connection file."""

    def format_kernel_cmd(self, extra_arguments=None):
        return unprivileged.command(*super().format_kernel_cmd(extra_arguments))

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        account = pwd.getpwnam(unprivileged.ACCOUNT)
        os.chown(self.connection_file, account.pw_uid, account.pw_gid)


@contextmanager
def learners_kernel() -> Iterator:
    """A kernel of this interpreter as a learner's own runs: an unprivileged account (uid nobody),
    so its labs are built without root; it works in a folder of its own (outside pytest's, which
    only root may enter), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="mnss-learner-") as folder:
        cwd = Path(folder)
        cwd.chmod(0o777)
        manager = _UnprivilegedKernelManager(kernel_name="python3")
        manager.connection_file = str(cwd / "kernel-connection.json")
        manager.start_kernel(cwd=folder, env=unprivileged.env(HOME=folder))
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)
            yield client
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def run_cell(client, source: str, timeout: float) -> list[dict]:
    """Execute one cell; the errors it raised (empty when it ran cleanly)."""
    errors = []

    def keep(message):
        if message["msg_type"] == "error":
            errors.append(message["content"])

    try:
        reply = client.execute_interactive(source, timeout=timeout, output_hook=keep, allow_stdin=False)
    except (TimeoutError, Empty):
        return [{"ename": "Timeout", "evalue": f"no answer within {timeout} s"}]
    if reply["content"]["status"] == "error" and not errors:
        errors.append(reply["content"])
    return errors
