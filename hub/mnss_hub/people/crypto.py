"""Personal data encrypted at rest (AES-256-GCM), with the key kept outside the database.

The keys live in a key file (JSON, mode 0600, created when missing, refused when group or others
may read it) or in the environment variable MNSS_PII_KEY (the same JSON). Each ciphertext is a
text token `v1:<key id>:<base64(nonce + ciphertext)>`, so rows made with an older key still
decrypt, and `rotate` can re-encrypt them all with a new one. The column name is bound in as
associated data: a ciphertext copied into another column does not decrypt.

`lookup_hash` is an HMAC-SHA-256 (keyed with a subkey of the current key) that lets the database
enforce "one account per ID number" and find a person by ID without the number in clear. It
changes with the key, so `rotate` recomputes it too. The audit key signs the audit chain; it is
never rotated, or older entries could no longer be verified.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mnss_foundation.files import write_atomic

ENV_VAR = "MNSS_PII_KEY"
TOKEN_PREFIX = "v1"


class PiiKeyError(Exception):
    """The key material is missing, unsafe, or does not open a ciphertext; the message says which."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


def new_key_id() -> str:
    return "k" + secrets.token_hex(4)


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]  # key id -> 32-byte AES key
    current: str
    audit_key: bytes

    @classmethod
    def generate(cls) -> Keyring:
        kid = new_key_id()
        return cls({kid: AESGCM.generate_key(256)}, kid, secrets.token_bytes(32))

    @classmethod
    def from_json(cls, text: str, source: str) -> Keyring:
        try:
            data = json.loads(text)
            keys = {kid: _unb64(value) for kid, value in data["keys"].items()}
            ring = cls(keys, data["current"], _unb64(data["audit"]))
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise PiiKeyError(f"{source}: not a valid key file ({err.__class__.__name__}: {err})") from None
        if ring.current not in keys or any(len(k) != 32 for k in keys.values()) or len(ring.audit_key) < 32:
            raise PiiKeyError(f"{source}: the current key must be listed and every key must be 32 bytes")
        return ring

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "version": 1,
                    "current": self.current,
                    "keys": {kid: _b64(k) for kid, k in self.keys.items()},
                    "audit": _b64(self.audit_key),
                },
                indent=2,
            )
            + "\n"
        )

    def with_new_key(self) -> Keyring:
        """The same ring plus a fresh key that becomes the current one."""
        kid = new_key_id()
        return Keyring({**self.keys, kid: AESGCM.generate_key(256)}, kid, self.audit_key)

    def only_current(self) -> Keyring:
        return Keyring({self.current: self.keys[self.current]}, self.current, self.audit_key)

    # -- use -----------------------------------------------------------------------------
    def encrypt(self, plaintext: str, column: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext.encode("utf-8"), column.encode())
        return f"{TOKEN_PREFIX}:{self.current}:{_b64(nonce + sealed)}"

    def key_id_of(self, token: str) -> str:
        prefix, kid, _ = token.split(":", 2)
        if prefix != TOKEN_PREFIX:
            raise PiiKeyError(f"unknown ciphertext format {prefix!r}")
        return kid

    def decrypt(self, token: str, column: str) -> str:
        kid = self.key_id_of(token)
        if kid not in self.keys:
            raise PiiKeyError(f"a {column} was encrypted with key {kid!r}, which this key file does not hold")
        blob = _unb64(token.split(":", 2)[2])
        try:
            return AESGCM(self.keys[kid]).decrypt(blob[:12], blob[12:], column.encode()).decode("utf-8")
        except InvalidTag:
            raise PiiKeyError(f"a {column} does not decrypt with key {kid!r}: wrong key or altered data") from None

    def lookup_hash(self, value: str, purpose: str) -> str:
        """HMAC-SHA-256 of a value under a subkey of the current key, for equality lookups."""
        subkey = HKDF(hashes.SHA256(), 32, salt=None, info=f"mnss lookup {purpose}".encode()).derive(
            self.keys[self.current]
        )
        return hmac.new(subkey, value.encode("utf-8"), hashlib.sha256).hexdigest()


def _write_private(path: Path, text: str) -> None:
    """Create or replace a 0600 key file in a 0700 folder."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, text)


def check_key_file_mode(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PiiKeyError(
            f"{path} has mode {mode:04o}: others could read the personal-data key; "
            f"run `chmod 600 {path}` (or restore a safe copy) and start again"
        )


def load_keyring(key_file: str | Path, environ: Mapping[str, str] | None = None, create: bool = True) -> Keyring:
    """The keyring from $MNSS_PII_KEY when set, else from the key file (created 0600 if missing)."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR):
        return Keyring.from_json(environ[ENV_VAR], f"${ENV_VAR}")
    path = Path(key_file)
    if not path.exists():
        if not create:
            raise PiiKeyError(f"{path} does not exist and ${ENV_VAR} is not set")
        ring = Keyring.generate()
        _write_private(path, ring.to_json())
        return ring
    check_key_file_mode(path)
    return Keyring.from_json(path.read_text(encoding="utf-8"), str(path))


def save_keyring(key_file: str | Path, ring: Keyring) -> None:
    _write_private(Path(key_file), ring.to_json())
