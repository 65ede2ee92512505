"""The exchange's files, on the service's side only.

Layout under the root (mode 0700, files 0600; only the service's user can read any of it):

    blobs/ab/<sha256>.tar.gz                               archives the service packed itself
    courses/<course>/released/<assignment>.json            what is released (points at a blob)
    courses/<course>/submissions/<assignment>/<student>/<key>.json
    courses/<course>/feedback/<assignment>/<student>/<key>.json   (key = the submission's)
    courses/<course>/fetched/<assignment>/<student>.json   a learner's first fetch (for the portal)

Blobs are immutable and written before the small JSON record that points at them; the record is
written to a temporary file and renamed into place, so a reader sees the old state or the new
one, never half of either. Superseded blobs are kept (no garbage collection yet).
Timestamps are the service's clock, never the client's.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
from pathlib import Path

from mnss_foundation.files import TMP_PREFIX, write_atomic

from . import archive
from .names import check_course_id, check_segment, check_submission_key, now, safe_join

DROPPED_ON_SUBMIT = {"timestamp.txt", "submission_secret.txt"}


class StoreError(Exception):
    status = 400


class NotFound(StoreError):
    status = 404


class Conflict(StoreError):
    status = 409


class Invalid(StoreError):
    status = 400


class StorageFull(StoreError):
    """The disk (or quota) under the store is full: nothing of this write was kept, all earlier
    records are intact, and the message names the folder to free space in."""

    status = 507


FULL = (errno.ENOSPC, errno.EDQUOT)


def public(meta: dict) -> dict:
    """A record as shown to clients: without the internal blob address and content digest."""
    return {k: v for k, v in meta.items() if k not in ("blob", "content")}


def _notebooks(names: list[str]) -> list[str]:
    return sorted(n[: -len(".ipynb")] for n in names if "/" not in n and n.endswith(".ipynb"))


def content_digest(entries: list[archive.Entry]) -> str:
    """sha256 over the files' names and bytes, in name order: equal for the same work however
    and whenever it was packed."""
    digest = hashlib.sha256()
    for name, data in sorted(entries):
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


class Store:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self._lock = threading.Lock()

    # -- low level ---------------------------------------------------------------------------

    def _path(self, *segments: str) -> Path:
        return safe_join(self.root, *segments)

    def _mkdirs(self, folder: Path) -> None:
        """Create missing folders one by one, each 0700 (mkdir(parents=True) would use the umask)."""
        missing = []
        while not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for each in reversed(missing):
            each.mkdir(mode=0o700, exist_ok=True)

    def _write_atomic(self, path: Path, data: bytes) -> None:
        try:
            self._mkdirs(path.parent)
            write_atomic(path, data)
        except OSError as err:
            if err.errno not in FULL:
                raise
            raise StorageFull(
                f"交换区存储已满（{self.root}），本次未保存，之前的内容完好；请管理员释放空间 / "
                f"the exchange's storage is full ({self.root}): nothing of this was saved, earlier "
                "work is intact; an administrator must free space there"
            ) from None

    def _put_blob(self, entries: list[archive.Entry]) -> tuple[str, int]:
        data = archive.pack(entries)
        digest = hashlib.sha256(data).hexdigest()
        path = self._path("blobs", digest[:2], digest + ".tar.gz")
        if not path.exists():
            self._write_atomic(path, data)
        return digest, len(data)

    def blob(self, meta: dict) -> bytes:
        """The archive a record points at."""
        digest = meta["blob"]
        try:
            return self._path("blobs", digest[:2], digest + ".tar.gz").read_bytes()
        except FileNotFoundError:
            raise NotFound("the stored files are missing; ask an administrator") from None

    def entries(self, meta: dict) -> list[archive.Entry]:
        return archive.read(self.blob(meta))

    def _write_meta(self, path: Path, meta: dict) -> dict:
        self._write_atomic(path, json.dumps(meta, indent=1, sort_keys=True).encode("utf-8"))
        return meta

    @staticmethod
    def _read_meta(path: Path) -> dict | None:
        try:
            return json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return None

    def _records(self, folder: Path, pattern: str) -> list[dict]:
        if not folder.is_dir():
            return []
        found = (self._read_meta(p) for p in sorted(folder.glob(pattern)) if not p.name.startswith(TMP_PREFIX))
        return [m for m in found if m is not None]

    # -- released assignments ------------------------------------------------------------------

    def _released_path(self, course: str, assignment: str) -> Path:
        check_course_id(course)
        return self._path("courses", course, "released", check_segment(assignment, "assignment id") + ".json")

    def release(self, course: str, assignment: str, entries: list[archive.Entry], by: str, force: bool = False) -> dict:
        notebooks = _notebooks([name for name, _ in entries])
        if not notebooks:
            raise Invalid("a release needs at least one notebook (*.ipynb) at the top of the archive")
        path = self._released_path(course, assignment)
        with self._lock:
            if path.exists() and not force:
                raise Conflict(f"{course}/{assignment} is already released; release again with force to replace it")
            digest, size = self._put_blob(entries)
            stamp, _ = now()
            return self._write_meta(
                path,
                {
                    "course_id": course,
                    "assignment_id": assignment,
                    "released_at": stamp,
                    "released_by": by,
                    "notebooks": notebooks,
                    "files": [n for n, _ in entries],
                    "size": size,
                    "blob": digest,
                },
            )

    def released(self, course: str) -> list[dict]:
        check_course_id(course)
        return self._records(self._path("courses", course, "released"), "*.json")

    def released_one(self, course: str, assignment: str) -> dict:
        meta = self._read_meta(self._released_path(course, assignment))
        if meta is None:
            raise NotFound(f"assignment {assignment!r} is not released in course {course!r}")
        return meta

    def unrelease(self, course: str, assignment: str) -> dict:
        meta = self.released_one(course, assignment)
        self._released_path(course, assignment).unlink(missing_ok=True)
        return meta

    # -- fetches (what the portal shows as "in progress") ---------------------------------------

    def note_fetched(self, course: str, assignment: str, student: str) -> None:
        """Remember a learner's first fetch of a released assignment; later fetches change nothing."""
        check_course_id(course)
        assignment = check_segment(assignment, "assignment id")
        path = self._path("courses", course, "fetched", assignment, check_segment(student, "student id") + ".json")
        if path.exists():
            return
        stamp, _ = now()
        with self._lock:
            record = {"course_id": course, "assignment_id": assignment, "student_id": student, "at": stamp}
            self._write_meta(path, record)

    def fetched(self, course: str, student: str) -> set[str]:
        """Assignment ids the learner has fetched at least once."""
        check_course_id(course)
        s = check_segment(student, "student id")
        return {m["assignment_id"] for m in self._records(self._path("courses", course, "fetched"), f"*/{s}.json")}

    # -- submissions -----------------------------------------------------------------------------

    def _student_dir(self, folder: str, course: str, assignment: str, student: str) -> Path:
        """courses/<course>/<folder>/<assignment>/<student>, each id checked."""
        check_course_id(course)
        assignment, student = check_segment(assignment, "assignment id"), check_segment(student, "student id")
        return self._path("courses", course, folder, assignment, student)

    def _submission_dir(self, course: str, assignment: str, student: str) -> Path:
        return self._student_dir("submissions", course, assignment, student)

    def submit(self, course: str, assignment: str, student: str, entries: list[archive.Entry]) -> dict:
        """Record a submission of `student` (the authenticated requester) with the service's time.

        The same files as the learner's newest submission are that submission, not a new one
        (marked "unchanged"): a learner who presses Submit again because the answer was lost on
        the way (a proxy or network outage) is recorded once, with the time of the first press."""
        self.released_one(course, assignment)
        kept = [(n, c) for n, c in entries if n not in DROPPED_ON_SUBMIT]
        if not kept:
            raise Invalid("nothing to submit: the archive holds no files")
        folder = self._submission_dir(course, assignment, student)
        content = content_digest(kept)
        with self._lock:
            newest = self._records(folder, "*.json")
            newest = max(newest, key=lambda m: m["key"]) if newest else None
            if newest is not None and newest.get("content") == content:
                return {**newest, "unchanged": True}
            stamp, key = now()
            candidate, n = key, 0
            while (folder / f"{candidate}.json").exists():
                n += 1
                candidate = f"{key}-{n}"
            files = sorted(kept + [("timestamp.txt", stamp.encode("utf-8"))])
            digest, size = self._put_blob(files)
            names = [name for name, _ in files]
            return self._write_meta(
                folder / f"{candidate}.json",
                {
                    "course_id": course,
                    "assignment_id": assignment,
                    "student_id": student,
                    "timestamp": stamp,
                    "key": candidate,
                    "notebooks": _notebooks(names),
                    "files": names,
                    "size": size,
                    "blob": digest,
                    "content": content,
                },
            )

    def submissions(self, course: str, assignment: str | None = None, student: str | None = None) -> list[dict]:
        check_course_id(course)
        base = self._path("courses", course, "submissions")
        a = check_segment(assignment, "assignment id") if assignment else "*"
        s = check_segment(student, "student id") if student else "*"
        records = self._records(base, f"{a}/{s}/*.json")
        return sorted(records, key=lambda m: (m["assignment_id"], m["student_id"], m["key"]))

    def submission(self, course: str, assignment: str, student: str, key: str) -> dict:
        path = self._submission_dir(course, assignment, student) / f"{check_submission_key(key)}.json"
        meta = self._read_meta(path)
        if meta is None:
            raise NotFound(f"no submission {key!r} of {student!r} for {course}/{assignment}")
        return meta

    # -- feedback ----------------------------------------------------------------------------

    def _feedback_dir(self, course: str, assignment: str, student: str) -> Path:
        return self._student_dir("feedback", course, assignment, student)

    def put_feedback(
        self, course: str, assignment: str, student: str, timestamp: str, entries: list[archive.Entry], by: str
    ) -> dict:
        """Attach feedback (flat *.html files) to the submission of `student` made at `timestamp`."""
        bad = [n for n, _ in entries if "/" in n or not n.endswith(".html")]
        if bad or not entries:
            raise Invalid(f"feedback must be one or more .html files at the top of the archive; got {bad or 'none'}")
        match = [m for m in self.submissions(course, assignment, student) if m["timestamp"] == timestamp]
        if not match:
            raise NotFound(f"{student!r} has no submission of {course}/{assignment} made at {timestamp!r}")
        key = match[-1]["key"]
        with self._lock:
            digest, size = self._put_blob(entries)
            stamp, _ = now()
            checksums = {n[: -len(".html")]: hashlib.sha256(c).hexdigest() for n, c in entries}
            return self._write_meta(
                self._feedback_dir(course, assignment, student) / f"{key}.json",
                {
                    "course_id": course,
                    "assignment_id": assignment,
                    "student_id": student,
                    "timestamp": timestamp,
                    "key": key,
                    "notebooks": checksums,
                    "released_at": stamp,
                    "released_by": by,
                    "size": size,
                    "blob": digest,
                },
            )

    def feedback(self, course: str, assignment: str | None, student: str) -> list[dict]:
        check_course_id(course)
        a = check_segment(assignment, "assignment id") if assignment else "*"
        s = check_segment(student, "student id")
        records = self._records(self._path("courses", course, "feedback"), f"{a}/{s}/*.json")
        return sorted(records, key=lambda m: (m["assignment_id"], m["key"]))
