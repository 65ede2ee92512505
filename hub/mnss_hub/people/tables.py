"""The people tables (SQLAlchemy Core, prefixed `mnss_`), the same on SQLite and PostgreSQL.

Sensitive values are stored only as ciphertext tokens (`*_enc`, see crypto.py); the ID number
also as a keyed hash (`id_number_hash`, unique) so one person gets one account. Invitation codes
are stored as SHA-256 (for redeeming) and encrypted (so open links can be downloaded again).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text, TypeDecorator


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no zone of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

invitations = Table(
    "mnss_invitations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("code_enc", Text, nullable=False),
    Column("institution", String(100), nullable=False),
    Column("name", String(50)),
    Column("department", String(100)),
    Column("courses", Text, nullable=False, default="[]"),  # JSON list of course ids
    Column("batch", String(32)),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("used_by", String(64)),
    Column("revoked_at", UTCDateTime),
    Column("revoked_by", String(64)),
    Index("mnss_invitations_institution", "institution", "id"),
)

profiles = Table(
    "mnss_profiles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("name", String(50), nullable=False),
    Column("gender", String(8), nullable=False),
    Column("id_number_enc", Text, nullable=False),
    Column("id_number_hash", String(64), nullable=False, unique=True),
    Column("mobile_enc", Text, nullable=False),
    Column("wechat_enc", Text),
    Column("email", String(254), nullable=False),
    Column("institution", String(100), nullable=False),
    Column("department", String(100), nullable=False),
    Column("position", String(64), nullable=False),
    Column("title", String(64), nullable=False),
    Column("remarks", Text, nullable=False, default=""),
    Column("courses", Text, nullable=False, default="[]"),
    Column("status", String(16), nullable=False),  # active / pending / disabled
    Column("invitation_id", Integer, ForeignKey("mnss_invitations.id")),
    Column("consent_at", UTCDateTime, nullable=False),
    Column("consent_version", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("approved_at", UTCDateTime),
    Column("approved_by", String(64)),
    Column("deletion_requested_at", UTCDateTime),
    Index("mnss_profiles_institution_status", "institution", "status", "username"),
    Index("mnss_profiles_status", "status", "username"),
)

# An institutional login (OpenID Connect issuer + subject: verified and never reassigned) tied to a
# profile, so a second SSO login finds the same person without trusting an editable name or email.
sso_links = Table(
    "mnss_sso_links",
    metadata,
    Column("issuer", String(255), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column(
        "username", String(32), ForeignKey("mnss_profiles.username", ondelete="CASCADE"), nullable=False, unique=True
    ),
    Column("linked_at", UTCDateTime, nullable=False),
)

audit_log = Table(
    "mnss_audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),  # ISO 8601 text: hashed exactly as stored
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),  # canonical JSON object
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# One row: the id of the key all personal data is encrypted with now. Writers read it with a shared
# lock and rotation updates it under an exclusive one, so no process keeps writing with a key that
# a rotation (in another process) has just retired.
pii_key = Table(
    "mnss_pii_key",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("current", String(32), nullable=False),
)

# One row: the last entry's seq and hash, locked while appending, so two writers never fork the
# chain and deleting the newest entries is noticed.
audit_head = Table(
    "mnss_audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)


# Institution admins granted with `mnss-hub institution-admin grant` (besides the site config's
# accounts.institution_admins): one institution per person.
institution_admins = Table(
    "mnss_institution_admins",
    metadata,
    Column("username", String(32), primary_key=True),
    Column("institution", String(100), nullable=False),
    Column("granted_by", String(64), nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
)


def now() -> datetime:
    return datetime.now(UTC)
