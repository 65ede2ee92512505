"""The canvas's language: chosen from the user's JupyterLab setting, texts from the catalogue."""

from __future__ import annotations

from mnss_foundation.i18n import user_language as current_language

from ..catalog import KINDS
from ..topology import texts
from .messages import CATALOGUES

__all__ = ["Labels", "current_language"]


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
