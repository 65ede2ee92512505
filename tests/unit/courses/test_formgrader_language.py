"""Every formgrader page gets the translation script before </body>; its API's JSON (which
nbgrader sends as text/html) and other servers' pages do not, and Content-Length stays true."""

import html
from pathlib import Path

import nbgrader
from tornado.httputil import HTTPHeaders, HTTPServerRequest

from mnss_courses import formgrader_language

SOURCES = {".tpl", ".j2", ".js", ".py"}
PAGE = b"<html><body><h1>Manual Grading</h1></body></html>"


def sent(path: str, chunk: bytes, content_type: str = "text/html; charset=UTF-8") -> bytes:
    transform = formgrader_language.transform("/services/formgrader-ward/", "zh-CN")(HTTPServerRequest("GET", path))
    headers = HTTPHeaders({"Content-Type": content_type, "Content-Length": str(len(chunk))})
    status, headers, out = transform.transform_first_chunk(200, headers, chunk, True)
    assert int(headers["Content-Length"]) == len(out)
    return out


def test_a_formgrader_page_gets_the_script_before_the_end_of_its_body():
    out = sent("/services/formgrader-ward/formgrader/gradebook/ps1", PAGE)
    assert out.startswith(b"<html><body><h1>Manual Grading</h1>") and out.endswith(b"</script></body></html>")
    assert b"mnssTranslatePage" in out and "手动评分".encode() in out and b'"zh-CN"' in out


def test_json_pages_of_other_servers_and_fragments_are_sent_unchanged():
    api = b'{"name": "ps1"}'
    assert sent("/services/formgrader-ward/formgrader/api/assignments", api) == api
    assert sent("/services/formgrader-ward/formgrader/manage_assignments", api) == api  # no </body>: not a page
    assert sent("/services/formgrader-ward/mnss/round", PAGE) == PAGE  # MNSS's own page is bilingual already
    assert sent("/services/formgrader-ward/formgraderx", PAGE) == PAGE
    assert sent("/services/formgrader-ward/formgrader", PAGE, "text/css") == PAGE


def test_every_label_is_in_the_installed_nbgrader():
    """A newer nbgrader that renames a label fails here instead of leaving English on the page."""
    root = Path(nbgrader.__file__).parent
    sources = [*(root / "server_extensions" / "formgrader").rglob("*"), root / "preprocessors" / "saveautogrades.py"]
    text = html.unescape("".join(p.read_text("utf-8") for p in sources if p.suffix in SOURCES and p.is_file()))
    elsewhere = {"Search:"}  # DataTables' own label
    missing = [k for k in formgrader_language.CATALOGUE["exact"] if k not in text and k not in elsewhere]
    assert missing == []
