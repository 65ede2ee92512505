"""One real IPython kernel for a test module, and running a cell in it as JupyterLab would: what
the tutorial and experiment-catalog tests share."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Empty

from jupyter_client.manager import start_new_kernel


@contextmanager
def real_kernel(cwd: Path) -> Iterator:
    """A kernel of this interpreter working in `cwd`; its client, shut down on leaving."""
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(cwd))
    try:
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
