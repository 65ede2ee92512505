"""A problem found in user input: its English text, plus a code and values a UI can translate.

A `Problem` is a `str`, so every caller that joins or prints problems keeps working; a UI in
another language looks up `code` in its message catalogue and fills in `params` instead of
parsing the English text.
"""

from __future__ import annotations


class Problem(str):
    code: str
    where: str
    params: dict

    def __new__(cls, text: str, code: str = "", where: str = "", **params) -> Problem:
        self = super().__new__(cls, text)
        self.code, self.where, self.params = code, where, params
        return self

    def __reduce__(self):
        return (_rebuild, (str(self), self.code, self.where, self.params))


def _rebuild(text: str, code: str, where: str, params: dict) -> Problem:
    return Problem(text, code, where, **params)
