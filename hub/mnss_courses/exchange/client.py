"""nbgrader exchange plugins that move files through the mnss-exchange service.

Selected by `configure(c)` (the nbgrader_config.py the spawner puts on $JUPYTER_CONFIG_PATH),
so `nbgrader fetch_assignment/submit/list/collect/release_assignment/release_feedback/
fetch_feedback` and the JupyterLab assignment list work unchanged. Each class keeps the
behaviour and the returned shapes of nbgrader's default (filesystem) classes; what differs is
where trust sits: the service decides who the requester is (from the server's
$JUPYTERHUB_API_TOKEN) and what they may see, so these classes never send a student id and
never need read access to anyone else's files. Downloads are unpacked through the same archive
checks the service applies to uploads.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import re
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange import abc
from nbgrader.utils import find_all_notebooks, ignore_patterns, parse_utc
from traitlets import Bool, Float, Unicode, default

from .. import gradebook_stamp
from . import URL_ENV, archive, events
from .names import BadName, check_segment
from .transport import ServiceClient, ServiceError, path

gradebook_stamp.install()  # a new gradebook is stamped without running `alembic heads`

PLUGINS = {
    "exchange": "Exchange",
    "fetch_assignment": "ExchangeFetchAssignment",
    "fetch_feedback": "ExchangeFetchFeedback",
    "release_assignment": "ExchangeReleaseAssignment",
    "release_feedback": "ExchangeReleaseFeedback",
    "list": "ExchangeList",
    "submit": "ExchangeSubmit",
    "collect": "ExchangeCollect",
}


def configure(c, service_url: str | None = None, api_token: str | None = None):
    """Select these classes in an nbgrader config; url/token default to the server's environment."""
    for trait, cls in PLUGINS.items():
        setattr(c.ExchangeFactory, trait, f"{__name__}.{cls}")
    if service_url:
        c.Exchange.service_url = service_url
    if api_token:
        c.Exchange.api_token = api_token
    return c


def _sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


class Exchange(abc.Exchange):
    service_url = Unicode(help=f"Base URL of the mnss-exchange service; default ${URL_ENV} (set by the spawner).").tag(
        config=True
    )

    @default("service_url")
    def _default_url(self):
        return os.environ.get(URL_ENV, "")

    api_token = Unicode(help="Hub token sent to the service; default $JUPYTERHUB_API_TOKEN (the server's own).").tag(
        config=True
    )

    @default("api_token")
    def _default_token(self):
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    timeout = Float(300, help="Seconds to wait for the exchange service to answer.").tag(config=True)

    path_includes_course = Bool(
        False, help="Keep assignments in ./<course>/<assignment> rather than ./<assignment> (as nbgrader's own)."
    ).tag(config=True)

    def __init__(self, coursedir=None, authenticator=None, **kwargs):
        # NbGraderAPI.release_feedback/fetch_feedback pass 'authentictor' (sic); accept it quietly.
        authenticator = authenticator or kwargs.pop("authentictor", None)
        super().__init__(coursedir=coursedir, authenticator=authenticator, **kwargs)

    @property
    def service(self) -> ServiceClient:
        if not self.service_url:
            self.fail(f"no exchange service configured: ${URL_ENV} is not set (is this server started by the hub?)")
        if not self.api_token:
            self.fail("no hub token: $JUPYTERHUB_API_TOKEN is not set (is this server started by the hub?)")
        return ServiceClient(self.service_url, self.api_token, self.timeout)

    def call(self, method: str, url_path: str, **kwargs):
        """Call the service; a refusal becomes ExchangeError with the service's own message."""
        try:
            response = self.service.request(method, url_path, **kwargs)
        except ServiceError as err:
            self.fail(f"exchange: {err}")
        return response

    def call_json(self, method: str, url_path: str, **kwargs) -> dict:
        return self.call(method, url_path, **kwargs).json()

    def unpack(self, data: bytes) -> list[archive.Entry]:
        try:
            return archive.read(data)
        except archive.ArchiveError as err:
            self.fail(f"exchange sent an archive that is not safe to unpack: {err}")

    def require_course(self) -> str:
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        return self.coursedir.course_id

    def local_dir(self, course: str, assignment: str) -> str:
        parts = (course, assignment) if self.path_includes_course else (assignment,)
        return os.path.join(self.assignment_dir, *parts)

    def ignore(self):
        cd = self.coursedir
        return ignore_patterns(exclude=cd.ignore, include=cd.include, max_file_size=cd.max_file_size, log=self.log)

    def init_src(self):
        pass

    def init_dest(self):
        pass

    def copy_files(self):
        pass


def _replace_dir(entries: list[archive.Entry], dest: str) -> None:
    """Unpack into a fresh sibling folder, then swap it in, so `dest` is never half written."""
    parent = os.path.dirname(os.path.abspath(dest))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".mnss-exchange-", dir=parent)
    try:
        archive.extract(entries, Path(tmp))
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class ExchangeReleaseAssignment(Exchange, abc.ExchangeReleaseAssignment):
    def init_src(self):
        cd = self.coursedir
        self.src_path = cd.format_path(cd.release_directory, ".", cd.assignment_id)
        if not os.path.isdir(self.src_path):
            source = cd.format_path(cd.source_directory, ".", cd.assignment_id)
            if os.path.isdir(source):
                self.fail(
                    f"Assignment found in '{source}' but not '{self.src_path}', run `nbgrader "
                    "generate_assignment` first."
                )
            self.fail(f"Assignment not found at: {self.src_path}")

    def init_dest(self):
        self.course_id = self.require_course()

    def copy_files(self):
        aid = self.coursedir.assignment_id
        data, names = archive.pack_folder(Path(self.src_path), self.ignore())
        self.log.info("Source: %s (%d files)", self.src_path, len(names))
        params = {"force": "1"} if self.force else None
        self.call("PUT", path("courses", self.course_id, "assignments", aid), data=data, params=params, expect=(201,))
        self.log.info("Released as: %s %s", self.course_id, aid)


class ExchangeFetchAssignment(Exchange, abc.ExchangeFetchAssignment):
    def init_src(self):
        course, aid = self.require_course(), self.coursedir.assignment_id
        data = self.call("GET", path("courses", course, "assignments", aid)).content
        skip = self.coursedir.ignore
        self.entries = [
            (n, c)
            for n, c in self.unpack(data)
            if not any(fnmatch.fnmatch(part, g) for part in n.split("/") for g in skip)
        ]

    def init_dest(self):
        root = self.local_dir(self.coursedir.course_id, self.coursedir.assignment_id)
        self.dest_path = os.path.abspath(root)
        if os.path.isdir(self.dest_path) and not self.replace_missing_files:
            self.fail(f"You already have a copy of the assignment in this directory: {root}")

    def copy_files(self):
        self.log.info("Destination: %s", self.dest_path)
        if os.path.isdir(self.dest_path):
            for written in archive.extract(self.entries, Path(self.dest_path), overwrite=False):
                self.log.warning("Replacing missing file '%s'", os.path.relpath(written, os.getcwd()))
        else:
            _replace_dir(self.entries, self.dest_path)
        self.log.info("Fetched as: %s %s", self.coursedir.course_id, self.coursedir.assignment_id)
        events.announce("fetched", self.coursedir.course_id, self.coursedir.assignment_id)


class ExchangeSubmit(Exchange, abc.ExchangeSubmit):
    def init_src(self):
        root = self.local_dir(self.coursedir.course_id, self.coursedir.assignment_id)
        self.src_path = os.path.abspath(root)
        self.coursedir.assignment_id = os.path.split(self.src_path)[-1]
        if not os.path.isdir(self.src_path):
            self.fail(f"Assignment not found at: {self.src_path}")

    def init_dest(self):
        self.course_id = self.require_course()

    def check_filename_diff(self, released: list[str]) -> None:
        submitted = find_all_notebooks(self.src_path)
        missing = [n for n in released if n not in submitted]
        extra = [n for n in submitted if n not in released]
        if not (missing or extra):
            return
        msg = "Expected:\n\t{}\nSubmitted:\n\t{}".format(
            "\n\t".join(f"{n}: {'MISSING' if n in missing else 'FOUND'}" for n in released),
            "\n\t".join(f"{n}: {'EXTRA' if n in extra else 'OK'}" for n in submitted),
        )
        if missing and self.strict:
            self.fail(
                f"Assignment {self.coursedir.assignment_id} not submitted. There are missing notebooks "
                f"for the submission:\n{msg}"
            )
        self.log.warning(
            "Possible missing notebooks and/or extra notebooks submitted for assignment %s:\n%s",
            self.coursedir.assignment_id,
            msg,
        )

    def copy_files(self):
        aid = self.coursedir.assignment_id
        listing = self.call_json("GET", "assignments", params={"course_id": self.course_id})
        release = next((a for a in listing["assignments"] if a["assignment_id"] == aid), None)
        if release is None:
            self.fail(f"Assignment {aid!r} is not released in course {self.course_id!r}")
        self.check_filename_diff([f"{n}.ipynb" for n in release["notebooks"]])
        try:
            data, names = archive.pack_folder(
                Path(self.src_path), self.ignore(), max_bytes=1000 * self.coursedir.max_dir_size
            )
        except archive.ArchiveError as err:
            self.fail(f"Cannot submit: {err}")
        self.log.info("Source: %s (%d files)", self.src_path, len(names))
        record = self.call_json(
            "POST", path("courses", self.course_id, "assignments", aid, "submission"), data=data, expect=(201,)
        )
        claimed = self.coursedir.student_id
        if claimed not in ("", "*") and claimed != record["student_id"]:
            self.log.warning(
                "--student %s is ignored: the exchange records submissions under your hub account (%s)",
                claimed,
                record["student_id"],
            )
        self.timestamp = record["timestamp"]
        self.log.info("Submitted as: %s %s %s", self.course_id, aid, record["timestamp"])
        # the submission's key names the event: pressing Submit again after a lost answer gives the
        # same submission (the exchange keeps unchanged work once) and so the same event
        events.announce("submitted", self.course_id, aid, key=record.get("key", ""))


class ExchangeList(Exchange, abc.ExchangeList):
    """`nbgrader list` and the JupyterLab assignment list, in the shapes nbgrader's own list returns."""

    def init_dest(self):
        self.released, self.records, self.user = [], [], ""
        course = self.coursedir.course_id
        if self.inbound:
            self._load_inbound(course)
        else:
            listing = self.call_json("GET", "assignments", params={"course_id": course} if course else None)
            self.user = listing["user"]
            self.released = [a for a in listing["assignments"] if self._wanted(a)]
            self.records = [s for s in listing["submissions"] if self._wanted(s)]

    def _load_inbound(self, course: str) -> None:
        mine = self.call_json("GET", "courses")
        self.user = mine["user"]
        taught = [c["course_id"] for c in mine["courses"] if "instructor" in c["roles"]]
        courses = [course] if course else taught
        for c in courses:
            if c in taught:
                params = {}
                if self.coursedir.student_id not in ("", "*"):
                    params["student_id"] = self.coursedir.student_id
                found = self.call_json("GET", path("courses", c, "submissions"), params=params)["submissions"]
            else:  # a learner asking for inbound sees their own, as with nbgrader's own exchange
                found = self.call_json("GET", "assignments", params={"course_id": c})["submissions"]
            self.records += [s for s in found if self._wanted(s)]

    def _wanted(self, record: dict) -> bool:
        aid = self.coursedir.assignment_id or "*"
        return fnmatch.fnmatch(record["assignment_id"], aid)

    def released_info(self, record: dict) -> dict:
        course, aid = record["course_id"], record["assignment_id"]
        local = self.local_dir(course, aid)
        info = {"course_id": course, "assignment_id": aid}
        if os.path.exists(local):
            info["status"], info["path"] = "fetched", os.path.abspath(local)
            notebooks = sorted(glob.glob(os.path.join(info["path"], "*.ipynb")))
            info["notebooks"] = [{"notebook_id": Path(nb).stem, "path": os.path.abspath(nb)} for nb in notebooks]
        else:
            info["status"] = "released"
            info["path"] = self.service.base_url + "api/" + path("courses", course, "assignments", aid)
            info["notebooks"] = [
                {"notebook_id": nb, "path": f"{info['path']}/{nb}.ipynb"} for nb in record["notebooks"]
            ]
        if self.remove:
            info["status"] = "removed"
        return info

    def submission_info(self, record: dict) -> dict:
        course, aid, student, stamp = (
            record["course_id"],
            record["assignment_id"],
            record["student_id"],
            record["timestamp"],
        )
        local = self.local_dir(course, aid)
        feedback_dir = os.path.join(os.path.abspath(local), "feedback", stamp)
        released_feedback = record.get("feedback", {})
        info = {
            "course_id": course,
            "student_id": student,
            "assignment_id": aid,
            "timestamp": stamp,
            "status": "submitted",
            "path": self.service.base_url
            + "api/"
            + path("courses", course, "submissions", aid, student, record["key"]),
        }
        info["notebooks"] = []
        for nb in record["notebooks"]:
            local_file = Path(feedback_dir, f"{nb}.html")
            has_local = local_file.is_file()
            has_exchange = nb in released_feedback
            info["notebooks"].append(
                {
                    "notebook_id": nb,
                    "path": f"{info['path']}/{nb}.ipynb",
                    "has_local_feedback": has_local,
                    "has_exchange_feedback": has_exchange,
                    "local_feedback_path": str(local_file) if has_local else None,
                    "feedback_updated": has_local and has_exchange and _sha256(local_file) != released_feedback[nb],
                }
            )
        notebooks = info["notebooks"]
        info["has_local_feedback"] = bool(notebooks) and all(n["has_local_feedback"] for n in notebooks)
        info["has_exchange_feedback"] = bool(notebooks) and all(n["has_exchange_feedback"] for n in notebooks)
        info["feedback_updated"] = any(n["feedback_updated"] for n in notebooks)
        info["local_feedback_path"] = feedback_dir if info["has_local_feedback"] else None
        return info

    def parse_assignments(self) -> list[dict]:
        if not (self.inbound or self.cached):
            return [self.released_info(r) for r in self.released]
        grouped = defaultdict(list)
        for record in self.records:
            info = self.submission_info(record)
            grouped[(info["course_id"], info["student_id"], info["assignment_id"])].append(info)
        assignments = []
        for key in sorted(grouped):
            submissions = sorted(grouped[key], key=lambda x: x["timestamp"])
            assignments.append(
                {
                    "course_id": key[0],
                    "student_id": key[1],
                    "assignment_id": key[2],
                    "status": submissions[0]["status"],
                    "submissions": submissions,
                }
            )
        return assignments

    @staticmethod
    def format_inbound_assignment(info: dict) -> str:
        msg = "{course_id} {student_id} {assignment_id} {timestamp}".format(**info)
        if info["has_local_feedback"] and not info["feedback_updated"]:
            return msg + " (feedback already fetched)"
        if info["has_exchange_feedback"]:
            return msg + " (feedback ready to be fetched)"
        return msg + " (no feedback available)"

    @staticmethod
    def format_outbound_assignment(info: dict) -> str:
        msg = "{course_id} {assignment_id}".format(**info)
        return msg + " (already downloaded)" if info["status"] == "fetched" else msg

    def list_files(self):
        assignments = self.parse_assignments()
        if self.inbound or self.cached:
            self.log.info("Submitted assignments:")
            for assignment in assignments:
                for info in assignment["submissions"]:
                    self.log.info(self.format_inbound_assignment(info))
        else:
            self.log.info("Released assignments:")
            for info in assignments:
                self.log.info(self.format_outbound_assignment(info))
        return assignments

    def remove_files(self):
        if self.inbound or self.cached:
            self.fail("--remove works on released assignments only; submissions are kept by the exchange")
        assignments = self.parse_assignments()
        self.log.info("Removing released assignments:")
        for info in assignments:
            self.call("DELETE", path("courses", info["course_id"], "assignments", info["assignment_id"]))
            self.log.info(self.format_outbound_assignment(info))
        return assignments


class ExchangeCollect(Exchange, abc.ExchangeCollect):
    def init_src(self):
        course, aid = self.require_course(), self.coursedir.assignment_id
        params = {"assignment_id": aid}
        if self.coursedir.student_id not in ("", "*"):
            params["student_id"] = self.coursedir.student_id
        records = self.call_json("GET", path("courses", course, "submissions"), params=params)["submissions"]
        by_student = defaultdict(list)
        for r in records:
            r["parsed"] = parse_utc(r["timestamp"])
            by_student[r["student_id"]].append(r)
        with Gradebook(self.coursedir.db_url, course) as gb:
            try:
                self.duedate = gb.find_assignment(aid).duedate
            except MissingEntry:
                self.duedate = None
        self.src_records = []
        for items in by_student.values():
            items.sort(key=lambda r: r["parsed"], reverse=True)
            chosen = items[0]
            if self.duedate is not None and self.before_duedate:
                chosen = next((r for r in items if r["parsed"] <= self.duedate), items[0])
            self.src_records.append(chosen)

    def copy_files(self):
        course, aid = self.coursedir.course_id, self.coursedir.assignment_id
        if not self.src_records:
            self.log.warning("No submissions of '%s' for course '%s' to collect", aid, course)
        else:
            self.log.info("Processing %d submissions of '%s' for course '%s'", len(self.src_records), aid, course)
        skipped: list[str] = []
        for rec in sorted(self.src_records, key=lambda r: r["student_id"]):
            try:
                student = check_segment(rec["student_id"], "student id")
            except BadName as err:
                self.log.error("Skipping a submission: %s", err)
                continue
            dest = self.coursedir.format_path(self.coursedir.submitted_directory, student, aid)
            copy, updating = not os.path.isdir(dest), False
            if not copy:
                existing = self.coursedir.get_existing_timestamp(dest)
                if self.update and (existing is None or rec["parsed"] > existing):
                    copy = updating = True
                elif self.before_duedate and existing != rec["parsed"]:
                    copy = updating = True
            if not copy:
                if self.update:
                    self.log.info("No newer submission to collect: %s %s", student, aid)
                else:
                    self.log.info("Submission already exists, use --update to update: %s %s", student, aid)
                continue
            self.log.info("%s submission: %s %s", "Updating" if updating else "Collecting", student, aid)
            try:
                data = self.service.download(path("courses", course, "submissions", aid, student, rec["key"]))
                _replace_dir(archive.read(data), dest)
            except (ServiceError, archive.ArchiveError, OSError) as err:
                # One learner's bad submission must not cost everyone after them their collection.
                self.log.error("Skipping the submission of %s for %s: %s", student, aid, err)
                skipped.append(f"{student} ({err})")
        if skipped:
            self.fail(f"Collected all other submissions of {aid}, but not: " + "; ".join(skipped))


class ExchangeReleaseFeedback(Exchange, abc.ExchangeReleaseFeedback):
    def init_src(self):
        cd = self.coursedir
        self.src_path = cd.format_path(cd.feedback_directory, cd.student_id or "*", cd.assignment_id)

    def init_dest(self):
        self.course_id = self.require_course()

    def copy_files(self):
        cd = self.coursedir
        excluded = set(cd.student_id_exclude.split(",")) if cd.student_id_exclude else set()
        pattern = re.compile(
            cd.format_path(cd.feedback_directory, "(?P<student_id>[^/]+)", cd.assignment_id, escape=True) + "$"
        )
        failures = []
        for folder in sorted(glob.glob(self.src_path)):
            match = pattern.match(folder)
            html = sorted(Path(folder).glob("*.html"))
            if not match or not html:
                continue
            student = match.group("student_id")
            if student in excluded:
                self.log.debug("Skipping student '%s'", student)
                continue
            stamp_file = Path(folder, "timestamp.txt")
            if not stamp_file.is_file():
                failures.append(f"{student}: no timestamp.txt in {folder}")
                continue
            timestamp = stamp_file.read_text("utf-8").strip()
            data = archive.pack([(f.name, f.read_bytes()) for f in html])
            try:
                self.service.request(
                    "PUT",
                    path("courses", self.course_id, "feedback", cd.assignment_id, student),
                    params={"timestamp": timestamp},
                    data=data,
                    expect=(201,),
                )
            except ServiceError as err:
                failures.append(f"{student}: {err}")
                continue
            self.log.info(
                "Releasing feedback for student '%s' on assignment '%s/%s' (%s)",
                student,
                self.course_id,
                cd.assignment_id,
                timestamp,
            )
        if failures:
            self.fail("Feedback not released for: " + "; ".join(failures))


class ExchangeFetchFeedback(Exchange, abc.ExchangeFetchFeedback):
    def init_src(self):
        course = self.require_course()
        aid = self.coursedir.assignment_id
        if aid and aid != "*":
            assignments = [aid]
        else:
            listing = self.call_json("GET", "assignments", params={"course_id": course})
            assignments = sorted({s["assignment_id"] for s in listing["submissions"]})
        self.feedback = {}
        for a in assignments:
            try:
                data = self.service.download(path("courses", course, "assignments", a, "feedback"))
            except ServiceError as err:
                if err.status == 404:
                    self.log.warning("No feedback for %s/%s yet: %s", course, a, err.message)
                    continue
                self.fail(f"exchange: {err}")
            self.feedback[a] = self.unpack(data)

    def copy_files(self):
        for aid, entries in self.feedback.items():
            dest = os.path.abspath(os.path.join(self.local_dir(self.coursedir.course_id, aid), "feedback"))
            written = list(archive.extract(entries, Path(dest)))
            for file in written:
                self.log.info("Fetched feedback: %s", file)
            # The activity extension reads the score from it: this learner's 'graded' event.
            events.announce("feedback", self.coursedir.course_id, aid, written)
