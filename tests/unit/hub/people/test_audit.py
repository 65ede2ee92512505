"""The audit chain: intact after normal use; a changed, inserted or deleted entry is found."""

import pytest
from sqlalchemy import select, text

from mnss_hub.people import PeopleStore
from mnss_hub.people.audit import GENESIS, AuditLog
from mnss_hub.people.tables import audit_head, audit_log


def fill(store, n=5):
    for i in range(n):
        with store.begin() as conn:
            store.audit.append(
                conn,
                at=store.now(),
                actor="admin",
                action="reveal",
                subject=f"profile u{i}",
                reason=f"reason {i}",
                detail={"field": "mobile"},
            )


def forge(conn, log: AuditLog, previous, actor: str, action: str, subject: str) -> None:
    """Insert entry 3 after `previous`, chained and hashed as `log` would (with its key, or none)."""
    digest = log._hash(3, previous.at, actor, action, subject, "", "{}", previous.hash)
    values = {"actor": actor, "action": action, "subject": subject, "reason": "", "detail": "{}"}
    conn.execute(audit_log.insert().values(seq=3, at=previous.at, prev_hash=previous.hash, hash=digest, **values))


def test_intact_chain_verifies(store):
    assert store.verify_audit() is None  # empty
    fill(store)
    assert store.verify_audit() is None
    with store.begin() as conn:
        entries = store.audit.entries(conn)
    assert [e.seq for e in entries] == [5, 4, 3, 2, 1]
    assert entries[-1].prev_hash == GENESIS and entries[0].prev_hash == entries[1].hash


def test_modified_entry_is_found(store):
    fill(store)
    with store.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 3).values(reason="nothing to see"))
    broken = store.verify_audit()
    assert (broken.seq, broken.problem.split(" ")[0]) == (3, "changed")
    assert "audit log broken at entry 3" in str(broken)
    assert broken.pair() == ("已被修改（哈希与内容不符）", "changed (its hash does not match its content)")


def test_deleted_entry_in_the_middle_is_found(store):
    fill(store)
    with store.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.seq == 2))
    assert store.verify_audit().seq == 2


def test_deleted_newest_entry_is_found(store):
    fill(store)
    with store.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.seq == 5))
    broken = store.verify_audit()
    assert broken.seq == 5 and "missing" in broken.problem


def test_inserted_entry_is_found(store):
    """An entry slipped in after entry 2 (later ones renumbered) no longer links to its neighbours."""
    fill(store)
    with store.begin() as conn:
        conn.execute(text("UPDATE mnss_audit_log SET seq = seq + 100 WHERE seq > 2"))
        conn.execute(text("UPDATE mnss_audit_log SET seq = seq - 99 WHERE seq > 100"))
        second = conn.execute(select(audit_log).where(audit_log.c.seq == 2)).one()
        forge(conn, AuditLog(b"a guessed key of 32 bytes......."), second, "admin", "login", "x")
    broken = store.verify_audit()
    assert broken.seq == 3 and "changed" in broken.problem


def test_appended_entry_without_the_key_is_found(store):
    fill(store, 2)
    with store.begin() as conn:
        last = conn.execute(select(audit_log).where(audit_log.c.seq == 2)).one()
        forge(conn, AuditLog(None), last, "x", "y", "z")  # plain SHA-256
    assert store.verify_audit().seq == 3


def test_entries_written_in_a_failed_transaction_vanish_with_it(store):
    fill(store, 1)
    with pytest.raises(RuntimeError), store.begin() as conn:
        store.audit.append(conn, at=store.now(), actor="a", action="b")
        raise RuntimeError("the action failed")
    with store.begin() as conn:
        assert conn.execute(select(audit_head.c.seq)).scalar_one() == 1
    assert store.verify_audit() is None


def test_key_matters(tmp_path, store):
    fill(store, 2)
    other = PeopleStore(store.url, store.keyring.with_new_key(), store.directory)
    assert other.verify_audit() is None  # rotation keeps the audit key
    other.audit = AuditLog(b"another key of 32 bytes.........")
    assert other.verify_audit().seq == 1
    other.close()
