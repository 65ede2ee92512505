"""The course page's 参考资料 / References: each title a link in its own language (lang on it), the
note in both of the page's languages, rendered from the course's course.yaml."""

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import markupsafe
import pytest

import mnss_hub
from mnss_courses import bundle
from mnss_hub.portal import catalog as view
from tests.support.hubproc import ROOT
from tests.unit.courses.test_bundle import GOOD

TEMPLATES = Path(mnss_hub.__file__).parent / "templates"
ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [jinja2.DictLoader({"page.html": "{% block main %}{% endblock %}"}), jinja2.FileSystemLoader(TEMPLATES)]
    ),
    undefined=jinja2.StrictUndefined,
    autoescape=True,  # as the hub renders its pages
)
META = GOOD | {
    "references": [
        {
            "title": "RFC 791: Internet Protocol",
            "url": "https://www.rfc-editor.org/rfc/rfc791",
            "note": {"zh": "IP 报文的格式", "en": "the format of an IP packet"},
        },
        {
            "title": "GB/T 22239-2019 信息安全技术 网络安全等级保护基本要求",
            "url": "https://openstd.samr.gov.cn/bzgk/gb/std_list?p.p2=22239",
        },
    ],
}


def render(meta: dict) -> str:
    card = view.card(meta, {}, offered=True, enrolled=False)
    context = {
        "base_url": "/hub/",
        "xsrf": "x",
        "course": card,
        "items": view.course_items(meta, view.Progress()),
        "links": {},
        "references": view.references(meta),
        "waiting": [],
        "teaches": False,
        "notice": "",
        "error": "",
    }
    return ENV.get_template("portal-course.html").render(**context)


class Visible(HTMLParser):
    """The text a page in `lang` shows: what page.html's CSS hides (.i18n in the other language) left out."""

    def __init__(self, lang: str):
        super().__init__()
        self.lang, self.stack, self.parts = lang, [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        hidden = "i18n" in (a.get("class") or "").split() and a.get("lang") != self.lang
        self.stack.append(hidden or (self.stack[-1] if self.stack else False))

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)

    @classmethod
    def text(cls, html: str, lang: str) -> str:
        parser = cls(lang)
        parser.feed(html)
        return re.sub(r"\s+", " ", "".join(parser.parts))


def section(html: str) -> str:
    return html.split('<details id="mnss-references"')[1].split("</details>")[0]


def test_each_title_links_in_its_own_language():
    part = section(render(META))
    assert '<a href="https://www.rfc-editor.org/rfc/rfc791" rel="noopener" target="_blank">' in part
    assert '<cite lang="en">RFC 791: Internet Protocol</cite>' in part
    assert '<cite lang="zh-CN">GB/T 22239-2019 信息安全技术 网络安全等级保护基本要求</cite>' in part
    assert 'href="https://openstd.samr.gov.cn/bzgk/gb/std_list?p.p2=22239"' in part


@pytest.mark.parametrize(
    "lang, summary, note, absent",
    [
        ("zh-CN", "参考资料", "RFC 791: Internet Protocol：IP 报文的格式", "References"),
        ("en", "References", "RFC 791: Internet Protocol: the format of an IP packet", "参考资料"),
    ],
)
def test_the_section_speaks_the_page_language(lang, summary, note, absent):
    shown = Visible.text(section(render(META)), lang)
    assert summary in shown and note in shown and absent not in shown, shown
    assert "GB/T 22239-2019 信息安全技术" in shown  # a title is not translated


def test_a_reference_without_a_note_is_just_its_link():
    shown = Visible.text(section(render(META)), "en")
    assert shown.rstrip().endswith("网络安全等级保护基本要求"), shown


def test_no_references_no_section():
    html = render({k: v for k, v in META.items() if k != "references"})
    assert "mnss-references" not in html and "<details" not in html


def test_a_title_is_chinese_when_it_has_chinese_characters():
    assert view.title_language("GB 11643-1999 公民身份号码") == "zh-CN"
    assert view.title_language("DICOM PS3.8: Network Communication Support for Message Exchange") == "en"
    assert view.title_language("ipaddress — IPv4/IPv6 manipulation library") == "en"  # an em dash is not CJK


def test_every_bundled_course_page_shows_its_references():
    for cid, course in bundle.load_catalog(ROOT / "courses").items():
        part = section(render(course.meta))
        assert part.count('class="mnss-reference"') == len(course.meta["references"]), cid
        for ref in course.meta["references"]:
            assert f'href="{markupsafe.escape(ref["url"])}" rel="noopener"' in part, (cid, ref["url"])
