"""course.yaml `references`: the works a course relies on, each with an https address; every
bundled course lists 4 to 6 of them, so a new course cannot land without its references."""

import re

import pytest
import yaml

from mnss_courses import bundle
from mnss_courses.authoring import AssignmentNotebook
from mnss_courses.bundle import CourseError
from tests.support.hubproc import ROOT
from tests.unit.courses.test_bundle import GOOD


def make(tmp_path, meta):
    root = tmp_path / meta["id"]
    root.mkdir()
    (root / "course.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    AssignmentNotebook().text("hi").save(root / "source" / "one" / "one.ipynb")
    return root


def problems(root):
    with pytest.raises(CourseError) as info:
        bundle.load(root)
    return info.value.problems


RFC = {"title": "RFC 791: Internet Protocol", "url": "https://www.rfc-editor.org/rfc/rfc791"}
GB = {
    "title": "GB/T 22239-2019 信息安全技术 网络安全等级保护基本要求",
    "url": "https://openstd.samr.gov.cn/bzgk/gb/std_list?p.p2=22239",
    "note": {"zh": "等保 2.0 的区域边界要求", "en": "the boundary requirements of MLPS 2.0"},
}


def test_a_valid_list_loads(tmp_path):
    course = bundle.load(make(tmp_path, GOOD | {"references": [RFC, GB]}))
    assert [r["title"] for r in course.meta["references"]] == [RFC["title"], GB["title"]]


@pytest.mark.parametrize(
    "reference, expected",
    [
        (RFC | {"url": "http://www.rfc-editor.org/rfc/rfc791"}, "references.0.url: 'http://www.rfc-editor.org"),
        (RFC | {"url": "ftp://ftp.rfc-editor.org/in-notes/rfc791.txt"}, "references.0.url: 'ftp://"),
        (RFC | {"url": "rfc-editor.org/rfc/rfc791"}, "references.0.url: 'rfc-editor.org"),
        (RFC | {"url": "https://"}, "references.0.url: 'https://'"),
        (RFC | {"url": "https://www.rfc-editor.org/rfc/rfc 791"}, "references.0.url:"),
        ({"url": RFC["url"]}, "references.0: missing required key 'title'"),
        (RFC | {"title": ""}, "references.0.title: must not be empty"),
        (RFC | {"note": {"zh": "只有中文"}}, "references.0.note: missing required key 'en'"),
        (RFC | {"lang": "en"}, "references.0.lang: unknown key"),
    ],
)
def test_a_bad_reference_is_named_with_file_and_key(tmp_path, reference, expected):
    root = make(tmp_path, GOOD | {"references": [reference]})
    found = problems(root)
    assert any(p.startswith(str(root / "course.yaml") + ": ") and expected in p for p in found), found


def test_an_http_address_is_refused_with_a_reason(tmp_path):
    root = make(tmp_path, GOOD | {"references": [RFC | {"url": "http://www.rfc-editor.org/rfc/rfc791"}]})
    (found,) = problems(root)
    assert "references.0.url" in found and "https://" in found and "http: and other schemes are refused" in found


def test_at_most_twelve(tmp_path):
    root = make(tmp_path, GOOD | {"references": [RFC] * 13})
    assert any("references: has 13 items; at most 12 are allowed" in p for p in problems(root))
    bundle.load(make(tmp_path, GOOD | {"id": "net-b", "references": [RFC] * 12}))


CATALOG = bundle.load_catalog(ROOT / "courses")


@pytest.mark.parametrize("cid", sorted(CATALOG))
def test_every_bundled_course_lists_four_to_six_references(cid):
    references = CATALOG[cid].meta.get("references", [])
    assert 4 <= len(references) <= 6, f"courses/{cid}/course.yaml: {len(references)} references, want 4 to 6"
    urls = [r["url"] for r in references]
    assert len(set(urls)) == len(urls), f"courses/{cid}: a reference is listed twice"
    for ref in references:
        assert ref["url"].startswith("https://"), ref
        assert ref.get("note"), f"courses/{cid}: say what the course uses {ref['title']!r} for"


def test_bundled_references_use_the_canonical_addresses():
    """RFCs from the RFC Editor, DICOM parts from NEMA's current edition: one form each, so a
    reviewer can check a number against its address at a glance."""
    for cid, course in CATALOG.items():
        for ref in course.meta.get("references", []):
            title, url = ref["title"], ref["url"]
            rfc = re.match(r"RFC (\d+): ", title)
            if rfc:
                assert url == f"https://www.rfc-editor.org/rfc/rfc{rfc[1]}", (cid, title, url)
            part = re.match(r"DICOM PS3\.(\d+): ", title)
            if part:
                expected = f"https://dicom.nema.org/medical/dicom/current/output/html/part{int(part[1]):02d}.html"
                assert url == expected, (cid, title, url)
