"""What the page-language test reads of a hub page in Chinese: the visible text, less the proper
names a page marks as English.

A work's title (a reference on a course page: "RFC 791: Internet Protocol") is a proper name in its
own language, and the page says so with lang="en" on its element. Those are left out; everything
else stays, so English that nobody marked is still found. The bilingual .i18n spans are not names:
CSS hides the English one on a Chinese page, and a hidden element has no visible text anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TAGGED_ENGLISH = 'body [lang="en"]:not(.i18n)'


def without_names(text: str, names: Iterable[str]) -> str:
    """`text` with each name taken out once (as often as it was tagged, no more)."""
    for name in names:
        name = name.strip()
        if name:
            text = text.replace(name, " ", 1)
    return text


def latin_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Words of two or more Latin letters left once the allowed names are taken out."""
    for name in sorted(allowed, key=len, reverse=True):
        text = text.replace(name, " ")
    return re.findall(r"[A-Za-z]{2,}", text)


def chinese_page_text(page) -> str:
    """The visible text of a Playwright page's body, without the elements tagged lang="en"."""
    return without_names(page.inner_text("body"), page.locator(TAGGED_ENGLISH).all_inner_texts())
