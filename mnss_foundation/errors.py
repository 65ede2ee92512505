"""The one base of every refusal a person reads: a stable code, the text in Chinese and English,
and the details that name what was wrong (the field, the value, the file).

A program tells errors apart by `code` and reads `details`; a page shows `message(lang)`; a log
or a CLI prints `str(err)` (English). Nothing is parsed out of the text.
"""

from __future__ import annotations

from .i18n import DEFAULT_LANGUAGE, Catalogue, language


class MnssError(Exception):
    def __init__(self, code: str, zh: str, en: str, **details):
        super().__init__(en)
        self.code, self.zh, self.en, self.details = code, zh, en, details

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue, code: str, **details) -> MnssError:
        """The error whose text is message `code` of `catalogue`, filled from `details`."""
        zh, en = catalogue.pair(code, **details)
        return cls(code, zh, en, **details)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return self.en if language(lang) == "en" else self.zh

    def messages(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        """Every sentence of the error (one here; subclasses with several problems list them)."""
        return [self.message(lang)]

    def as_dict(self) -> dict:
        """What an API answers: {"code", "zh", "en", "details"}."""
        return {"code": self.code, "zh": self.zh, "en": self.en, "details": dict(self.details)}

    def __str__(self) -> str:
        return self.en

    def __reduce__(self):  # subclasses take other arguments: rebuild from the state, not __init__
        return (_rebuild, (type(self), self.args), self.__dict__)


def _rebuild(cls, args):
    error = Exception.__new__(cls)
    error.args = args
    return error
