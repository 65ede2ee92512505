"""MnssError: a stable code, both languages and the details, kept through pickling."""

import pickle

from mnss_foundation.errors import MnssError
from mnss_foundation.i18n import Catalogue

CATALOGUE = Catalogue("t", {"too_big": {"zh-CN": "{name} 过大", "en": "{name} is too big"}})


class Refused(MnssError, ValueError):
    def __init__(self, name: str):
        zh, en = CATALOGUE.pair("too_big", name=name)
        super().__init__("too_big", zh, en, name=name)


def test_code_texts_and_details():
    err = MnssError.from_catalogue(CATALOGUE, "too_big", name="a.py")
    assert (err.code, err.details) == ("too_big", {"name": "a.py"})
    assert err.message() == "a.py 过大" and err.message("en") == "a.py is too big"
    assert err.messages("en") == ["a.py is too big"]
    assert str(err) == "a.py is too big"
    assert err.as_dict() == {"code": "too_big", "zh": "a.py 过大", "en": "a.py is too big", "details": {"name": "a.py"}}


def test_a_subclass_with_its_own_arguments_survives_pickling():
    err = pickle.loads(pickle.dumps(Refused("b.py")))
    assert isinstance(err, ValueError) and err.code == "too_big"
    assert (err.zh, err.en, err.details) == ("b.py 过大", "b.py is too big", {"name": "b.py"})
