"""Bilingual (zh-CN / en) texts for every refusal the people layer gives, each naming its field.

One catalogue (`messages.yaml`) so a page, the CLI and a test all show the same words; `LANGS` are
the hub's languages.
"""

from __future__ import annotations

from mnss_foundation import i18n

LANGS = i18n.LANGUAGES
CATALOGUES = i18n.load(__package__)
FIELDS: dict[str, tuple[str, str]] = CATALOGUES["fields"].pairs()
# code -> (zh-CN text appended to the field label, en text after "Label: ")
TEXTS: dict[str, tuple[str, str]] = CATALOGUES["texts"].pairs()


def label(field: str, lang: str) -> str:
    zh, en = FIELDS.get(field, (field, field))
    return en if lang == "en" else zh


def field_message(field: str, code: str, lang: str) -> str:
    """One sentence naming the field: "身份证号码校验位错误" / "ID number: check digit is wrong"."""
    zh, en = TEXTS[code]
    return f"{label(field, 'en')}: {en}" if lang == "en" else f"{label(field, 'zh-CN')}{zh}"


def column_name(index: int) -> str:
    """Spreadsheet letters of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
