"""The refusals of the people layer: each can say what was wrong in zh-CN and in English.

A page shows `err.messages(lang)`; the CLI prints `str(err)` (English, then Chinese).
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import field_message, label


class PeopleError(Exception):
    """Base of every refusal here; nothing was written when one is raised."""

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


class ValidationFailed(PeopleError, ValueError):
    """One or more form fields are wrong; `errors` lists (field, code) in form order."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(errors)
        self.errors = list(errors)

    def messages(self, lang: str) -> list[str]:
        return [e.message(lang) for e in self.errors]

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


class SheetRejected(PeopleError, ValueError):
    """An import sheet had bad rows; nothing of it was imported."""

    def __init__(self, errors: list[CellError]):
        super().__init__(errors)
        self.errors = list(errors)

    def messages(self, lang: str) -> list[str]:
        return [e.message(lang) for e in self.errors]


INVITATION_REFUSALS = {
    "unknown": ("邀请码无效", "This invitation code is not valid"),
    "used": ("该邀请已被使用", "This invitation has already been used"),
    "expired": ("该邀请已过期", "This invitation has expired"),
    "revoked": ("该邀请已被撤销", "This invitation has been revoked"),
}


class InvitationRefused(PeopleError, LookupError):
    """An invitation cannot be used; `reason` is one of unknown / used / expired / revoked."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def messages(self, lang: str) -> list[str]:
        zh, en = INVITATION_REFUSALS[self.reason]
        return [en if lang == "en" else zh]


class NotAllowed(PeopleError, PermissionError):
    """The actor's role or institution does not allow this."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en

    def messages(self, lang: str) -> list[str]:
        return [self.en if lang == "en" else self.zh]


class NotFound(PeopleError, LookupError):
    def __init__(self, what: str, key: str):
        super().__init__(what, key)
        self.what, self.key = what, key

    def messages(self, lang: str) -> list[str]:
        if lang == "en":
            return [f"no {label(self.what, 'en').lower()} {self.key!r}"]
        return [f"找不到{label(self.what, 'zh-CN')} {self.key!r}"]


class ReasonRequired(PeopleError, ValueError):
    """No reason given for an access or change that the audit log must explain."""

    SEE = ("查看或导出个人信息前必须填写理由", "A reason must be given to see or export personal data")
    ERASE = ("理由：删除个人信息和账号前必须填写理由", "Reason: required to erase a person's data and account")

    def __init__(self, purpose: tuple[str, str] = SEE):
        super().__init__()
        self.purpose = purpose

    def messages(self, lang: str) -> list[str]:
        return [self.purpose[1] if lang == "en" else self.purpose[0]]


def outside_scope(error: PeopleError) -> bool:
    """Was this refused because it concerns another institution than the actor's own?"""
    return isinstance(error, NotAllowed) or any(
        getattr(e, "code", "") == "not_own_institution" for e in getattr(error, "errors", ())
    )
