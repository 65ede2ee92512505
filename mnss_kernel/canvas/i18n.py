"""The canvas's language: chosen from the user's JupyterLab setting, texts from the catalogue."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..catalog import KINDS
from ..topology import texts
from .messages import CATALOGUES

LAB_SETTING = ".jupyter/lab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"


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

    def __call__(self, key: str, **values) -> str:
        return CATALOGUES["ui"].text(key, self._lang, **values)

    def field(self, name: str) -> str:
        return texts.field(name, self._lang)

    def kind(self, name: str) -> str:
        kind = KINDS.get(name)
        return name if kind is None else (kind.label_zh if self._lang == "zh-CN" else kind.label_en)

    def where(self, where: str) -> str:
        """'link h1-s1: ip_a' -> '链路 h1-s1：A 端 IP'; anything else is returned unchanged."""
        return texts.where(where, self._lang)

    def problem(self, problem) -> str:
        """One engine problem in this language: by its code if it has one the catalogue knows."""
        return texts.problem(problem, self._lang)
