"""The message catalogue: lookup by code and language, Chinese by default, clear failures."""

import pytest

from mnss_foundation import i18n
from mnss_foundation.i18n import Catalogue, MissingMessage

SAVED = {"saved": {"zh-CN": "已保存到 {path}。", "en": "Saved to {path}."}}


def test_text_by_code_and_language_chinese_by_default():
    messages = Catalogue("t", SAVED)
    assert messages.text("saved", path="a.yaml") == "已保存到 a.yaml。"
    assert messages.text("saved", "en", path="a.yaml") == "Saved to a.yaml."
    assert messages.text("saved", "en-US", path="x") == "Saved to x."
    assert messages.pair("saved", path="p") == ("已保存到 p。", "Saved to p.")
    assert messages.pairs() == {"saved": ("已保存到 {path}。", "Saved to {path}.")}
    assert "saved" in messages and messages.codes() == ("saved",)


def test_a_both_value_gives_each_language_its_half():
    messages = Catalogue("t", {"took": {"zh-CN": "学过《{title}》", "en": "took {title}"}})
    assert messages.pair("took", title=i18n.Both("网络", "Networks")) == ("学过《网络》", "took Networks")


def test_a_value_named_code_or_lang_is_just_a_value():
    messages = Catalogue("t", {"refused": {"zh-CN": "拒绝（{code}，{lang}）", "en": "refused ({code}, {lang})"}})
    assert messages.text("refused", "en", code=403, lang="x") == "refused (403, x)"


def test_a_missing_code_or_value_is_named():
    messages = Catalogue("canvas", SAVED)
    with pytest.raises(MissingMessage, match="'canvas' has no message 'nope'"):
        messages.text("nope")
    with pytest.raises(KeyError):  # old callers caught KeyError from a dict lookup
        messages.text("nope", "en")
    with pytest.raises(MissingMessage, match="'path' is not given"):
        messages.text("saved")


def test_a_code_without_both_languages_is_refused_when_loaded():
    with pytest.raises(ValueError, match="'half' has no text in en"):
        Catalogue("t", {"half": {"zh-CN": "一半"}})
    with pytest.raises(ValueError, match="'none' has no text in zh-CN, en"):
        Catalogue("t", {"none": None})


def test_load_reads_the_sections_of_a_package_file(tmp_path, monkeypatch):
    package = tmp_path / "catpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "messages.yaml").write_text("ui:\n  hi: {zh-CN: 你好, en: Hello}\nfields:\n  n: {zh-CN: 名, en: Name}\n")
    (package / "bad.yaml").write_text("- a list\n")
    monkeypatch.syspath_prepend(tmp_path)
    sections = i18n.load("catpkg")
    assert sorted(sections) == ["fields", "ui"]
    assert sections["ui"].text("hi", "en") == "Hello"
    with pytest.raises(ValueError, match="catpkg/bad.yaml: expected sections"):
        i18n.load("catpkg", "bad.yaml")


def test_language_normalises_locales():
    assert [i18n.language(v) for v in ("en", "en_GB", "zh-CN", "zh_CN", "", None, "fr")] == [
        "en",
        "en",
        "zh-CN",
        "zh-CN",
        "zh-CN",
        "zh-CN",
        "zh-CN",
    ]
