"""The topology's problems, the places they name and field names, in Chinese or English.

Problems are looked up by their code (see `mnss_foundation.problem.Problem`), never by their
English text; a problem without a known code keeps its English words.
"""

from __future__ import annotations

import re

from mnss_foundation import i18n

CATALOGUES = i18n.load(__package__)
_WHERE = re.compile(r"^(?P<what>link|node) (?:'(?P<quoted>[^']*)'|(?P<plain>[^:\s]+))(?:: (?P<field>.+))?$")


def field(name: str, lang: str) -> str:
    """A property or column name ('ip' -> 'IP 地址'); an unknown one as it is."""
    return CATALOGUES["fields"].text(name, lang) if name in CATALOGUES["fields"] else name


def where(text: str, lang: str) -> str:
    """'link h1-s1: ip_a' -> '链路 h1-s1：A 端 IP'; anything else is returned as a field name."""
    match = _WHERE.match(text)
    if not match:
        return field(text, lang)
    places = CATALOGUES["where"]
    subject = places.text(match["what"], lang, name=match["quoted"] or match["plain"])
    if not match["field"]:
        return subject
    return places.text("field", lang, where=subject, field=field(match["field"], lang))


def problem(found, lang: str) -> str:
    """One problem in `lang`: by its code if the catalogue knows it, else its own (English) text.
    Called while a TopologyError is made, so it never raises."""
    code = getattr(found, "code", "")
    if code not in CATALOGUES["problems"]:
        return str(found)
    try:
        text = CATALOGUES["problems"].text(code, lang, **found.params)
    except i18n.MissingMessage:  # a value the text needs is not given: its own words, never a crash
        return str(found)
    if not found.where:
        return text
    return CATALOGUES["where"].text("problem", lang, where=where(found.where, lang), text=text)
