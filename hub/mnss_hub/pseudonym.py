"""Keyed hashes that stand for a username in logs and counters without naming anyone.

A plain hash of a name can be reversed by hashing every plausible name; a keyed one (HMAC with a
secret kept beside the hub's state, mode 0600) can't, yet stays the same for the same name, so an
operator can still follow one account's failed logins through the log.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


def load_or_create_key(path: str | os.PathLike) -> bytes:
    path = Path(path)
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
    return key


def pseudonym(key: bytes, text: str) -> str:
    """16 hex digits: enough to tell accounts apart in a log, useless to guess the name from."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:16]
