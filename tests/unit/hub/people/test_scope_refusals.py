"""What the admin pages treat as an attempt on another institution (refused with 403 and
audited), and the audit entry such an attempt leaves."""

import pytest

from mnss_hub.people import (
    INSTITUTION_ADMIN,
    Actor,
    CellError,
    FieldError,
    NotAllowed,
    ReasonRequired,
    SheetRejected,
    StorageFull,
    ValidationFailed,
)
from mnss_hub.people.errors import outside_scope
from mnss_hub.people.invitations import InvitationRequest, create_invitation
from mnss_hub.people_pages import storage_status

from .conftest import HOSPITAL


def test_only_errors_about_another_institution_count_as_outside_the_scope():
    assert outside_scope(NotAllowed("不行", "no"))
    assert outside_scope(
        ValidationFailed([FieldError("name", "too_long"), FieldError("institution", "not_own_institution")])
    )
    assert outside_scope(SheetRejected([CellError(2, "B", "institution", "not_own_institution")]))
    assert not outside_scope(ValidationFailed([FieldError("institution", "unknown_institution")]))
    assert not outside_scope(ReasonRequired())


def test_a_refused_attempt_is_in_the_audit_chain(store):
    own = Actor("li.admin", INSTITUTION_ADMIN, HOSPITAL)
    with pytest.raises(ValidationFailed) as refused:
        create_invitation(store, own, InvitationRequest("第二医院"))
    assert outside_scope(refused.value)
    store.record_refusal(own, "create_invitation", "institution 第二医院")
    with store.begin() as conn:
        entry = store.audit.entries(conn, limit=1)[0]
    assert (entry.actor, entry.action, entry.subject) == ("li.admin", "refused", "institution 第二医院")
    assert entry.detail == {"attempt": "create_invitation", "role": INSTITUTION_ADMIN, "institution": HOSPITAL}
    assert store.verify_audit() is None


def test_the_reason_asked_for_names_what_it_is_for():
    assert "Reason" in ReasonRequired(ReasonRequired.ERASE).messages("en")[0]
    assert ReasonRequired(ReasonRequired.ERASE).messages("zh-CN")[0].startswith("理由")
    assert "see or export" in ReasonRequired().messages("en")[0]


def test_a_full_disk_is_a_507_on_the_pages_and_not_an_attempt_on_another_institution():
    full = StorageFull("/srv/mnss/state")
    assert not outside_scope(full)
    assert storage_status(full, 400) == 507 and storage_status(full, 403) == 507
    assert storage_status(ReasonRequired(), 400) == 400
    assert "/srv/mnss/state" in full.messages("en")[0] and "/srv/mnss/state" in full.messages("zh-CN")[0]
