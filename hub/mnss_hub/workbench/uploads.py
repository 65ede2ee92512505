"""Checking an uploaded topology file, and keeping it until the learner's server collects it.

MNSS YAML/JSON, containerlab and cytoscape files are data: they are loaded and validated here in
full, with the engine's own loader. A Mininet `.py` file is a program (the loader executes it, as
`mn --custom` does), so the hub only checks that it is Python defining a topology; it is executed
only in the learner's own server, which refuses it there with the loader's words if it fails.
Nothing is written anywhere until the whole file passed.
"""

from __future__ import annotations

import ast
import re
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mnss_foundation import i18n
from mnss_foundation.errors import MnssError

MAX_BYTES = 512 * 1024  # an upload larger than this is refused (a 1,000-node campus is ~150 KB)
# The whole request (the file and the form around it): a larger one is refused before it is read.
MAX_REQUEST_BYTES = MAX_BYTES + 64 * 1024
KEEP_SECONDS = 3600  # an upload the server has not collected by then is forgotten
KEEP_PER_USER = 10
SUFFIXES = (".clab.yml", ".clab.yaml", ".yaml", ".yml", ".json", ".cyjs", ".py")

MESSAGES = i18n.load(__package__)["uploads"]


class UploadRefused(MnssError, ValueError):
    """Why an upload was refused: a headline and the problems, each as (zh, en)."""

    def __init__(self, headline: tuple[str, str], problems: list[tuple[str, str]] = (), code: str = "", **details):
        self.headline, self.problems = headline, list(problems)
        super().__init__(
            code,
            headline[0] + "".join(f"\n  - {zh}" for zh, _ in self.problems),
            headline[1] + "".join(f"\n  - {en}" for _, en in self.problems),
            **details,
        )


def refused(key: str, problems=(), **values) -> UploadRefused:
    return UploadRefused(MESSAGES.pair(key, **values), problems, key, **values)


def safe_name(name: str) -> str:
    """The file's own name, reduced to letters, digits, CJK, '.', '-' and '_' (never a path)."""
    base = re.sub(r"[^\w.\-]", "_", Path(name.replace("\\", "/")).name).lstrip("._")
    return base[-80:] or "topology"


def check(name: str, body: bytes) -> tuple[str, str]:
    """(safe file name, text) of an upload that passed, else UploadRefused naming what is wrong."""
    if not name and not body:
        raise refused("no_file")
    name = safe_name(name)
    if len(body) > MAX_BYTES:
        raise refused("too_big", name=name, size=-(-len(body) // 1024), limit=MAX_BYTES // 1024)
    if not name.lower().endswith(SUFFIXES):
        raise refused("file_type", name=name)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise refused("not_utf8", name=name) from None
    if not text.strip():
        raise refused("empty", name=name)
    if name.lower().endswith(".py"):
        check_python(name, text)
    else:
        check_data(name, text)
    return name, text


def check_python(name: str, text: str) -> None:
    """Python that defines a Mininet topology, checked without running it."""
    try:
        tree = ast.parse(text, name)
    except SyntaxError as err:
        raise refused("python_syntax", name=name, line=err.lineno or 0, msg=err.msg) from None
    topo_class = any(
        isinstance(n, ast.ClassDef) and any("Topo" in ast.unparse(b) for b in n.bases) for n in ast.walk(tree)
    )
    topos = any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "topos" for t in n.targets)
        for n in ast.walk(tree)
    )
    if not (topo_class or topos):
        raise refused("python_no_topo", name=name)


def check_data(name: str, text: str) -> None:
    """Load the file with the engine's loader (format from its name, else its content)."""
    from mnss_kernel.canvas.i18n import Labels
    from mnss_kernel.topology.loader import load
    from mnss_kernel.topology.model import TopologyError

    with tempfile.TemporaryDirectory(prefix="mnss-upload-") as folder:
        path = Path(folder) / name
        path.write_text(text, "utf-8")
        try:
            load(path)
        except TopologyError as err:
            zh, en = Labels("zh-CN"), Labels("en")
            problems = [(zh.problem(p), en.problem(p)) for p in err.problems]
            raise refused("invalid", problems, name=name) from None


@dataclass
class Upload:
    owner: str
    name: str
    text: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class UploadStore:
    """Checked uploads by a random id, in the hub's memory until the owner's server collects them
    (a hub restart forgets them; the learner uploads again)."""

    uploads: dict[str, Upload] = field(default_factory=dict)

    def put(self, owner: str, name: str, text: str) -> str:
        self.forget_old()
        mine = sorted((u.at, key) for key, u in self.uploads.items() if u.owner == owner)
        for _, key in mine[: max(0, len(mine) - KEEP_PER_USER + 1)]:
            del self.uploads[key]
        key = secrets.token_hex(16)
        self.uploads[key] = Upload(owner, name, text)
        return key

    def get(self, key: str, owner: str) -> Upload | None:
        """The upload `key` if `owner` made it (nobody else's, whatever the id)."""
        self.forget_old()
        found = self.uploads.get(key)
        return found if found and found.owner == owner else None

    def forget_old(self) -> None:
        limit = time.monotonic() - KEEP_SECONDS
        for key in [k for k, u in self.uploads.items() if u.at < limit]:
            del self.uploads[key]
