"""The hub's secrets in its state folder must be readable by the hub's user alone.

A cookie secret that others can read lets them forge any user's login cookie (admins included);
the service tokens and keys are as strong. JupyterHub itself refuses only a cookie secret that
*everyone* may read, with a traceback-like line in its log; `mnss-hub run` refuses any of these
files with group or other permissions before anything starts, and says how to fix it.
"""

from __future__ import annotations

import stat
from pathlib import Path


def exposed(paths: list[Path]) -> list[str]:
    """One line (zh-CN / English) per existing file that the group or others may read or write."""
    problems = []
    for path in paths:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            problems.append(
                f"{path}: 权限为 {mode:04o}，其他用户可以读取此密钥文件；请执行 chmod 600 {path} / "
                f"mode {mode:04o} lets other users read this secret; run: chmod 600 {path}"
            )
    return problems
