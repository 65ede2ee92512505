"""The hash of the panel's sources, recorded next to the committed build.

The built labextension is committed (so installing and testing need no node), and a unit test
compares this hash with the recorded one: a change to the TypeScript, the CSS or the npm pins
without `make labextension` fails the test instead of shipping a stale panel.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORD = HERE / "build-sources.sha256"
SOURCES = ("package.json", "package-lock.json", "tsconfig.json", "src/*", "style/*")


def sources_hash(folder: Path = HERE) -> str:
    digest = hashlib.sha256()
    for pattern in SOURCES:
        for path in sorted(folder.glob(pattern)):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


if __name__ == "__main__":  # `make labextension` records the hash after a successful build
    RECORD.write_text(sources_hash() + "\n")
    sys.stdout.write(f"recorded {RECORD.name}\n")
