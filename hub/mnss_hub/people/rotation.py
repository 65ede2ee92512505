"""Key rotation: re-encrypt every stored secret with the keyring's current key, in one transaction.

The keyring given must hold both the old keys (to decrypt) and the new current key. The ID
numbers' lookup hashes depend on the key, so they are recomputed in the same transaction; a
failure leaves every row as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .crypto import Keyring
from .store import SYSTEM, PeopleStore
from .tables import invitations as inv, pii_key, profiles as prof


@dataclass(frozen=True)
class Rotated:
    key_id: str
    profiles: int
    invitations: int


def reencrypt_all(store: PeopleStore, ring: Keyring, actor: str = SYSTEM) -> Rotated:
    """Re-encrypt all rows with `ring.current`; afterwards the store uses `ring`."""
    now = store.now()
    counts = {"profiles": 0, "invitations": 0}
    with store.begin() as conn:
        # First the key row, exclusively: writers that started earlier finish, later ones wait and
        # then see the new key id, so every row written is either re-encrypted here or uses the new key.
        conn.execute(select(pii_key).with_for_update()).one()
        for row in conn.execute(select(prof).with_for_update()).all():
            values = {}
            for column in ("id_number", "mobile", "wechat"):
                token = getattr(row, f"{column}_enc")
                if token:
                    values[f"{column}_enc"] = ring.encrypt(ring.decrypt(token, column), column)
            values["id_number_hash"] = ring.lookup_hash(ring.decrypt(row.id_number_enc, "id_number"), "id_number")
            conn.execute(prof.update().where(prof.c.id == row.id).values(**values))
            counts["profiles"] += 1
        for row in conn.execute(select(inv.c.id, inv.c.code_enc).with_for_update()).all():
            code = ring.decrypt(row.code_enc, "invitation_code")
            conn.execute(inv.update().where(inv.c.id == row.id).values(code_enc=ring.encrypt(code, "invitation_code")))
            counts["invitations"] += 1
        conn.execute(pii_key.update().values(current=ring.current))
        store.audit.append(
            conn, at=now, actor=actor, action="rotate_key", subject="keys", detail={"key_id": ring.current, **counts}
        )
    store.keyring = ring
    return Rotated(ring.current, **counts)


__all__ = ["Rotated", "reencrypt_all"]
