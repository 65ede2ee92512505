"""Text of a notebook as a learner sees it, and words for content similarity (Chinese and English)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_HIDDEN = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS).*?### END \1", re.S)
_WORD = re.compile(r"[a-z][a-z0-9_]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_STOP = {"的", "了", "和", "是", "在", "把", "与", "一个", "这个", "我们", "你的", "可以", "用"}


def notebook_text(path: str | Path) -> str:
    """Markdown and code of a notebook, without solutions and hidden tests."""
    nb = json.loads(Path(path).read_text("utf-8"))
    parts = []
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        parts.append(_HIDDEN.sub(" ", source))
    return "\n".join(p for p in parts if p.strip())


def tokenize(text: str) -> list[str]:
    """English words (lower case, no stop words, 2+ letters) and Chinese character bigrams."""
    tokens = []
    for word in _WORD.findall(text.lower()):
        if _CJK.match(word):
            if len(word) == 1:
                if word not in _CJK_STOP:
                    tokens.append(word)
            else:
                tokens.extend(g for g in (word[i : i + 2] for i in range(len(word) - 1)) if g not in _CJK_STOP)
        elif word not in ENGLISH_STOP_WORDS:
            tokens.append(word)
    return tokens
