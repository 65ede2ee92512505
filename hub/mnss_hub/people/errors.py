"""The refusals of the people layer: each can say what was wrong in zh-CN and in English.

A page shows `err.messages(lang)`; the CLI prints `str(err)` (English, then Chinese). Each is an
`mnss_foundation.errors.MnssError` with a stable `code` and `details` naming what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from mnss_foundation.errors import MnssError

from .messages import CATALOGUES, field_message, label


class PeopleError(MnssError):
    """Base of every refusal here; nothing was written when one is raised. A subclass sets what
    `messages` needs, then calls `super().__init__(code, **details)`."""

    def __init__(self, code: str, **details):
        super().__init__(code, "；".join(self.messages("zh-CN")), "; ".join(self.messages("en")), **details)

    def messages(self, lang: str) -> list[str]:
        raise NotImplementedError

    def __str__(self) -> str:
        return "; ".join(self.messages("en")) + " / " + "；".join(self.messages("zh-CN"))


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str

    def message(self, lang: str) -> str:
        return field_message(self.field, self.code, lang)


class _Problems(PeopleError):
    """A refusal listing several problems, one sentence each, in `errors`."""

    def __init__(self, code: str, errors: list):
        self.errors = list(errors)
        super().__init__(code, problems=[(e.field, e.code) for e in self.errors])

    def messages(self, lang: str) -> list[str]:
        return [e.message(lang) for e in self.errors]


class ValidationFailed(_Problems, ValueError):
    """One or more form fields are wrong; `errors` lists (field, code) in form order."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("invalid_fields", errors)

    def by_field(self, lang: str) -> dict[str, list[str]]:
        """Messages grouped per field, for showing each next to its input."""
        out: dict[str, list[str]] = {}
        for e in self.errors:
            out.setdefault(e.field, []).append(e.message(lang))
        return out


@dataclass(frozen=True)
class CellError:
    row: int  # 1-based sheet row, the header is row 1
    column: str  # spreadsheet letter, "" when the whole row or file is meant
    field: str
    code: str

    def message(self, lang: str) -> str:
        text = field_message(self.field, self.code, lang)
        if lang == "en":
            where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
            return f"{where}: {text}"
        where = f"第 {self.row} 行" + (f" {self.column} 列" if self.column else "")
        return f"{where}：{text}"


class SheetRejected(_Problems, ValueError):
    """An import sheet had bad rows; nothing of it was imported."""

    def __init__(self, errors: list[CellError]):
        super().__init__("sheet_rejected", errors)


INVITATION_REFUSALS = CATALOGUES["invitation_refusals"].pairs()


class InvitationRefused(PeopleError, LookupError):
    """An invitation cannot be used; `reason` is one of unknown / used / expired / revoked."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"invitation_{reason}", reason=reason)

    def messages(self, lang: str) -> list[str]:
        return [CATALOGUES["invitation_refusals"].text(self.reason, lang)]


class NotAllowed(PeopleError, PermissionError):
    """The actor's role or institution does not allow this."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__("not_allowed")

    def messages(self, lang: str) -> list[str]:
        return [self.en if lang == "en" else self.zh]


class StorageFull(PeopleError):
    """The disk under the people database is full: nothing was written."""

    def __init__(self, folder: str):
        self.folder = folder
        super().__init__("disk_full", folder=folder)

    def messages(self, lang: str) -> list[str]:
        if lang == "en":
            return [f"the disk under the people store is full ({self.folder}): nothing was changed; free space there"]
        return [f"人员库所在磁盘已满（{self.folder}），未做任何修改；请释放空间"]


class NotFound(PeopleError, LookupError):
    def __init__(self, what: str, key: str):
        self.what, self.key = what, key
        super().__init__("not_found", what=what, key=key)

    def messages(self, lang: str) -> list[str]:
        if lang == "en":
            return [f"no {label(self.what, 'en').lower()} {self.key!r}"]
        return [f"找不到{label(self.what, 'zh-CN')} {self.key!r}"]


class ReasonRequired(PeopleError, ValueError):
    """No reason given for an access or change that the audit log must explain."""

    SEE = CATALOGUES["reason_required"].pair("see")
    ERASE = CATALOGUES["reason_required"].pair("erase")

    def __init__(self, purpose: tuple[str, str] = SEE):
        self.purpose = purpose
        super().__init__("reason_required")

    def messages(self, lang: str) -> list[str]:
        return [self.purpose[1] if lang == "en" else self.purpose[0]]


def outside_scope(error: PeopleError) -> bool:
    """Was this refused because it concerns another institution than the actor's own?"""
    return isinstance(error, NotAllowed) or any(
        getattr(e, "code", "") == "not_own_institution" for e in getattr(error, "errors", ())
    )
