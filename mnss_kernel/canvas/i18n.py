"""The canvas's language: chosen from the user's JupyterLab setting, texts from the catalogue."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..catalog import KINDS
from .messages import FIELDS, PROBLEMS, UI, WHERE

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
        self._index = 0 if language == "zh-CN" else 1

    def _pick(self, table: dict, key: str, **values) -> str:
        return table[key][self._index].format(**values)

    def __call__(self, key: str, **values) -> str:
        return self._pick(UI, key, **values)

    def field(self, name: str) -> str:
        return FIELDS[name][self._index] if name in FIELDS else name

    def kind(self, name: str) -> str:
        kind = KINDS.get(name)
        return name if kind is None else (kind.label_zh if self._index == 0 else kind.label_en)

    def where(self, where: str) -> str:
        """'link h1-s1: ip_a' -> '链路 h1-s1：A 端 IP'; anything else is returned unchanged."""
        match = _WHERE.match(where)
        if not match:
            return self.field(where)
        subject = self._pick(WHERE, match["what"], name=match["quoted"] or match["plain"])
        if not match["field"]:
            return subject
        return self._pick(WHERE, "field", where=subject, field=self.field(match["field"]))

    def problem(self, problem) -> str:
        """One engine problem in this language: by its code if it has one the catalogue knows."""
        code = getattr(problem, "code", "")
        if code not in PROBLEMS:
            return str(problem)
        text = self._pick(PROBLEMS, code, **problem.params)
        return self._pick(WHERE, "problem", where=self.where(problem.where), text=text) if problem.where else text
