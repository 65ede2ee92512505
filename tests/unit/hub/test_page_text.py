"""The page-language check leaves out only the names a page tags lang="en": English nobody tagged
is still found (tests/integration/test_hub_pages_language.py reads hub pages through these)."""

from tests.support.page_text import latin_words, without_names

PAGE = "参考资料\nRFC 791: Internet Protocol：IP 报文的格式\n"


def test_a_tagged_title_is_left_out():
    assert latin_words(without_names(PAGE, ["RFC 791: Internet Protocol"]), {"IP"}) == []


def test_untagged_english_is_still_found():
    assert latin_words(PAGE, {"IP"}) == ["RFC", "Internet", "Protocol"]
    shown = PAGE + "Open the tutorial\n"
    assert latin_words(without_names(shown, ["RFC 791: Internet Protocol"]), {"IP"}) == ["Open", "the", "tutorial"]


def test_a_name_is_taken_out_as_often_as_it_was_tagged():
    twice = "RFC 791 见上。RFC 791 再见。"
    assert latin_words(without_names(twice, ["RFC 791"])) == ["RFC"]
    assert without_names("中文", ["", "  "]) == "中文"  # an element with no visible text takes nothing out
