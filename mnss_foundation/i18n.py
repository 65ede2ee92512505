"""One message catalogue for every text a person reads, in Chinese (the default) and English.

The texts live in YAML files beside the code that shows them (translators edit data, not code),
one file per package, in sections of codes::

    ui:
      saved: {zh-CN: "已保存到 {path}。", en: "Saved to {path}."}

A file is checked whole when it is loaded: a code without both languages is refused then, not
when a learner first meets the message. Values are `str.format` templates with named fields.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import yaml

LANGUAGES = ("zh-CN", "en")
CJK = re.compile(r"[\u4e00-\u9fff]")  # a Chinese (CJK unified) character: how text is told to be Chinese
DEFAULT_LANGUAGE = "zh-CN"
# where JupyterLab keeps the language the user chose (the image's start-lab.sh writes the first one)
LAB_SETTING = ".jupyter/lab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"


class MissingMessage(KeyError):
    """A code (or one of its values) the catalogue does not have."""

    def __init__(self, catalogue: str, code: str, detail: str = ""):
        super().__init__(code)
        self.catalogue, self.code, self.detail = catalogue, code, detail

    def __str__(self) -> str:
        return f"message catalogue {self.catalogue!r} has no message {self.code!r}{self.detail}"


class Both(NamedTuple):
    """A value that differs by language (a course title): each message text gets its own half."""

    zh: str
    en: str


def language(value: str | None) -> str:
    """'en' for any English locale ('en', 'en-US', 'en_GB'), else the default, Chinese."""
    return "en" if (value or "").lower().startswith("en") else DEFAULT_LANGUAGE


def user_language(home: Path | None = None) -> str:
    """The language of what a user's own tools say (the canvas, `mnss course`): $MNSS_LANG, else
    the JupyterLab language the user chose, else Chinese."""
    if os.environ.get("MNSS_LANG") in LANGUAGES:
        return os.environ["MNSS_LANG"]
    try:
        text = ((home or Path.home()) / LAB_SETTING).read_text("utf-8")
        # JupyterLab's settings are JSON with // comments
        locale = json.loads("\n".join(line for line in text.splitlines() if not line.strip().startswith("//")))
        return language(locale["locale"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return DEFAULT_LANGUAGE


class Catalogue:
    """Messages by code, each in every one of `LANGUAGES`."""

    def __init__(self, name: str, messages: Mapping[str, Mapping[str, str]]):
        self.name = name
        self._messages: dict[str, dict[str, str]] = {}
        for code, texts in messages.items():
            missing = [lang for lang in LANGUAGES if not isinstance((texts or {}).get(lang), str)]
            if missing:
                raise ValueError(f"message catalogue {name!r}: {code!r} has no text in {', '.join(missing)}")
            self._messages[str(code)] = {lang: texts[lang] for lang in LANGUAGES}

    def __contains__(self, code: object) -> bool:
        return code in self._messages

    def codes(self) -> tuple[str, ...]:
        return tuple(self._messages)

    def text(self, code: str, lang: str = DEFAULT_LANGUAGE, /, **values) -> str:
        """Message `code` in `lang` ('zh-CN' or 'en'), its fields filled from `values` (a `Both`
        value gives this language's half)."""
        if code not in self._messages:
            raise MissingMessage(self.name, code)
        lang = language(lang)
        template = self._messages[code][lang]
        values = {k: (v.en if lang == "en" else v.zh) if isinstance(v, Both) else v for k, v in values.items()}
        try:
            return template.format(**values)
        except KeyError as err:
            raise MissingMessage(self.name, code, f" value: {err.args[0]!r} is not given") from None

    def pair(self, code: str, /, **values) -> tuple[str, str]:
        """(zh-CN, en) of message `code`."""
        return self.text(code, "zh-CN", **values), self.text(code, "en", **values)

    def bilingual(self, code: str, /, **values) -> dict[str, str]:
        """{"zh": ..., "en": ...} of message `code`: what a JSON API sends for the page to pick from."""
        zh, en = self.pair(code, **values)
        return {"zh": zh, "en": en}

    def pairs(self) -> dict[str, tuple[str, str]]:
        """Every message as code -> (zh-CN, en) template, for tables that list them all."""
        return {code: (texts["zh-CN"], texts["en"]) for code, texts in self._messages.items()}


@cache
def load(package: str, resource: str = "messages.yaml") -> dict[str, Catalogue]:
    """The catalogues (one per top-level section) of the YAML file `resource` in `package`."""
    text = resources.files(package).joinpath(resource).read_text("utf-8")
    sections = yaml.safe_load(text) or {}
    where = f"{package}/{resource}"
    if not isinstance(sections, dict) or not all(isinstance(v, dict) for v in sections.values()):
        raise ValueError(f"{where}: expected sections of messages (a mapping of mappings)")
    return {section: Catalogue(f"{where}:{section}", messages) for section, messages in sections.items()}
