"""The diagnosis's texts, from messages.yaml through `mnss_foundation.i18n` (translators edit data).

A suspect keeps its summary and evidence as (English, Chinese) pairs, in that order, because
`mnss diagnose --json` and `Diagnosis.to_frame()` publish them so; the catalogue's own `pair` is
(Chinese, English), so the order is turned here and nowhere else.
"""

from __future__ import annotations

from mnss_foundation import i18n

CATALOGUES = i18n.load(__package__)


def en_zh(section: str, code: str, /, **values) -> tuple[str, str]:
    """(English, Chinese) of message `code` in `section`, filled from `values`."""
    zh, en = CATALOGUES[section].pair(code, **values)
    return en, zh


def part(code: str, /, **values) -> i18n.Both:
    """A piece of a sentence ('no bridge' / '未加入任何网桥'): filled into another message, each
    language gets its own half."""
    zh, en = CATALOGUES["parts"].pair(code, **values)
    return i18n.Both(zh, en)


def text(section: str, code: str, lang: str, /, **values) -> str:
    """Message `code` in `section` in `lang` ('zh-CN' or 'en')."""
    return CATALOGUES[section].text(code, lang, **values)


def kind_labels() -> dict[str, tuple[str, str]]:
    """Suspect kind -> (English, Chinese) label."""
    return {kind: (en, zh) for kind, (zh, en) in CATALOGUES["kinds"].pairs().items()}
