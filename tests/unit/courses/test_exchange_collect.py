"""`nbgrader collect` through the exchange: one learner's unusable submission is skipped with a
message naming them, and every other learner is still collected."""

from datetime import UTC, datetime

import pytest
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.abc.exchange import ExchangeError

from mnss_courses.exchange import archive
from mnss_courses.exchange.client import ExchangeCollect
from tests.support.files import tar_with_name


class FakeService:
    def __init__(self, blobs: dict[str, bytes]):
        self.blobs = blobs

    def download(self, url_path: str) -> bytes:
        return self.blobs[url_path.split("/")[4]]


class Collect(ExchangeCollect):
    fake: FakeService

    @property
    def service(self):
        return self.fake


def test_a_bad_submission_is_skipped_and_the_others_are_collected(tmp_path):
    coursedir = CourseDirectory(root=str(tmp_path))
    coursedir.course_id, coursedir.assignment_id = "net101", "lab1"
    collect = Collect(coursedir=coursedir, authenticator=Authenticator())
    collect.fake = FakeService(
        {
            "alice": archive.pack([("lab1.ipynb", b"{}")]),
            "bob": tar_with_name("x" * 300),  # [Errno 36] File name too long, or refused as such
            "carol": archive.pack([("lab1.ipynb", b"{}")]),
        }
    )
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    collect.src_records = [
        {"student_id": s, "key": "20260101T000000.000000Z", "parsed": moment} for s in ("alice", "bob", "carol")
    ]
    with pytest.raises(ExchangeError, match=r"but not: bob \(.*longer than 255 bytes"):
        collect.copy_files()
    submitted = tmp_path / "submitted"
    assert (submitted / "alice" / "lab1" / "lab1.ipynb").is_file()
    assert (submitted / "carol" / "lab1" / "lab1.ipynb").is_file()
    assert not (submitted / "bob").exists()
