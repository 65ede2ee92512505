"""The canvas's language: chosen from the user's JupyterLab setting, texts from the catalogue."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..catalog import KINDS
from .messages import CATALOGUES

LAB_SETTING = ".jupyter/lab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"
_WHERE = re.compile(r"^(?P<what>link|node) (?:'(?P<quoted>[^']*)'|(?P<plain>[^:\s]+))(?:: (?P<field>.+))?$")


def current_language(home: Path | None = None) -> str:
    """'zh-CN' or 'en': $MNSS_LANG, else the JupyterLab locale the user chose, else Chinese."""
    if os.environ.get("MNSS_LANG") in ("zh-CN", "en"):
        return os.environ["MNSS_LANG"]
    try:
        text = ((home or Path.home()) / LAB_SETTING).read_text("utf-8")
        locale = json.loads("\n".join(line for line in text.splitlines() if not line.strip().startswith("//")))[
            "locale"
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return "zh-CN"
    return "en" if locale.startswith("en") else "zh-CN"


class Labels:
    """`t("id", **values)` gives message `id` in the chosen language; the methods below give
    property names, node kinds and the engine's problems the same way."""

    def __init__(self, language: str):
        self.language = language
        self._lang = "zh-CN" if language == "zh-CN" else "en"

    def _pick(self, section: str, key: str, **values) -> str:
        return CATALOGUES[section].text(key, self._lang, **values)

    def __call__(self, key: str, **values) -> str:
        return self._pick("ui", key, **values)

    def field(self, name: str) -> str:
        return self._pick("fields", name) if name in CATALOGUES["fields"] else name

    def kind(self, name: str) -> str:
        kind = KINDS.get(name)
        return name if kind is None else (kind.label_zh if self._lang == "zh-CN" else kind.label_en)

    def where(self, where: str) -> str:
        """'link h1-s1: ip_a' -> '链路 h1-s1：A 端 IP'; anything else is returned unchanged."""
        match = _WHERE.match(where)
        if not match:
            return self.field(where)
        subject = self._pick("where", match["what"], name=match["quoted"] or match["plain"])
        if not match["field"]:
            return subject
        return self._pick("where", "field", where=subject, field=self.field(match["field"]))

    def problem(self, problem) -> str:
        """One engine problem in this language: by its code if it has one the catalogue knows."""
        code = getattr(problem, "code", "")
        if code not in CATALOGUES["problems"]:
            return str(problem)
        text = self._pick("problems", code, **problem.params)
        return self._pick("where", "problem", where=self.where(problem.where), text=text) if problem.where else text
